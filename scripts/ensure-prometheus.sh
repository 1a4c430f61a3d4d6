#!/usr/bin/env bash
# Provides prometheus and promtool (Debian's `prometheus` package) and prints their paths, one per line:
#   /usr/bin/prometheus
#   /usr/bin/promtool
# Installed only when missing. The lab runs its own instances on free loopback ports with a temporary
# TSDB and never wants the package's system-wide one: apt_install (lib.sh) puts a policy-rc.d in place
# that denies every service start during the install, and the service the package enables for the next
# boot (systemd unit and SysV links) is disabled again right after. A Prometheus that was already
# installed is left exactly as it was. Idempotent.
source "$(dirname "$0")/lib.sh"

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  apt_install prometheus
  log "disabling the package's system-wide prometheus service (the lab starts its own)"
  if command -v systemctl >/dev/null; then as_root systemctl disable prometheus.service >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null; then as_root update-rc.d prometheus disable >/dev/null 2>&1 || true; fi
fi
prometheus_bin="$(command -v prometheus)" || die "prometheus is not on PATH after installing the package"
promtool_bin="$(command -v promtool)" || die "promtool is not on PATH after installing the package"
"$prometheus_bin" --version >/dev/null 2>&1 || die "$prometheus_bin does not run"
"$promtool_bin" --version >/dev/null 2>&1 || die "$promtool_bin does not run"
echo "$prometheus_bin"
echo "$promtool_bin"

#!/usr/bin/env bash
# Provides prometheus and promtool (Debian's `prometheus` package) and prints their paths, one per line:
#   /usr/bin/prometheus
#   /usr/bin/promtool
# Installed only when missing. apt_install (lib.sh) puts a policy-rc.d in place that denies every
# service start, so the package's maintainer scripts never start a system-wide Prometheus: the lab
# runs its own instances on free loopback ports with a temporary TSDB. Idempotent.
source "$(dirname "$0")/lib.sh"

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  apt_install prometheus
fi
prometheus_bin="$(command -v prometheus)" || die "prometheus is not on PATH after installing the package"
promtool_bin="$(command -v promtool)" || die "promtool is not on PATH after installing the package"
"$prometheus_bin" --version >/dev/null 2>&1 || die "$prometheus_bin does not run"
"$promtool_bin" --version >/dev/null 2>&1 || die "$promtool_bin does not run"
# A package install on a machine with a running init would still have enabled the unit; make sure
# nothing of ours is listening system-wide (the lab never needs it).
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  log "note: a system-wide prometheus service is running on this machine; the lab does not use it"
fi
echo "$prometheus_bin"
echo "$promtool_bin"

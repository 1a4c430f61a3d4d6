#!/usr/bin/env bash
# Provides haproxy (Debian's `haproxy` package) and prints its path. Installed only when missing.
# The reliability scenarios run their own HAProxy on loopback ports with a generated config and never
# want the package's system-wide one: apt_install (lib.sh) puts a policy-rc.d in place that denies
# every service start during the install, and the service the package enables for the next boot
# (systemd unit and SysV links) is disabled again right after. An HAProxy that was already installed
# is left exactly as it was. Idempotent.
source "$(dirname "$0")/lib.sh"

find_haproxy() { command -v haproxy 2>/dev/null || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; } || true; }

if [ -z "$(find_haproxy)" ]; then
  apt_install haproxy
  log "disabling the package's system-wide haproxy service (the lab starts its own)"
  if command -v systemctl >/dev/null; then as_root systemctl disable haproxy.service >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null; then as_root update-rc.d haproxy disable >/dev/null 2>&1 || true; fi
fi
haproxy_bin="$(find_haproxy)"
[ -n "$haproxy_bin" ] || die "haproxy is not on PATH after installing the package"
"$haproxy_bin" -v >/dev/null 2>&1 || die "$haproxy_bin does not run"
echo "$haproxy_bin"

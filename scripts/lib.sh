# Shared helpers for the setup scripts. Sourced, never executed.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tool binaries are cached outside the clone so a fresh clone on the same machine reuses them.
TOOLS_CACHE="${OTP_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otp-capacity-lab}"
# shellcheck source=versions.env
source "$REPO_ROOT/scripts/versions.env"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself or run as root)"
  fi
}

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "missing packages ($*) and no apt-get to install them"
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  log "installing Debian packages: $*"
  # policy-rc.d stops the packages' maintainer scripts from starting system-wide daemons:
  # the lab starts its own instances on free loopback ports.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null; as_root chmod +x "$policy"; created=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
  if [ "$created" -eq 1 ]; then as_root rm -f "$policy"; fi
}

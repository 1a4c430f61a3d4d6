#!/usr/bin/env bash
# Installs the PostgreSQL and Redis server binaries from Debian's packages when missing.
# Idempotent: a machine that has them pays one `command -v` per binary.
source "$(dirname "$0")/lib.sh"

missing=()
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
[ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/initdb" ] || missing+=(postgresql postgresql-contrib)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null || missing+=(redis-tools)
for extra in "$@"; do
  IFS=: read -r bin package <<<"$extra"
  command -v "$bin" >/dev/null || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
# PostgreSQL refuses to run as root; the harness drops to this user when it is root.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  as_root useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

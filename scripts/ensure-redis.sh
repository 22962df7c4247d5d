#!/usr/bin/env bash
# Makes sure redis-server (Debian package) is on PATH. Tests and the demo start their own instance on a free
# loopback port with persistence off; this script only installs the binary.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing: installing the Debian package redis-server..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server >/dev/null
  # The package starts a system service on 6379; the project never uses it.
  (service redis-server stop || true) >/dev/null 2>&1
  command -v redis-server >/dev/null && exit 0
fi
cat >&2 <<'MSG'
redis-server is not installed and could not be installed automatically.
Install it with:   sudo apt-get install -y redis-server      (Debian/Ubuntu)
               or:  brew install redis                        (macOS)
MSG
exit 1

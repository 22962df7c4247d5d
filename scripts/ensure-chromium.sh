#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (Microsoft.Playwright launches it by its path;
# Playwright never downloads a browser here). Where it cannot be installed, the browser tests skip and say why.
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: installing the Debian package chromium (browser tests)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq chromium >/dev/null 2>&1
  command -v chromium >/dev/null && exit 0
fi
echo "chromium is not installed and could not be installed: the browser tests will be skipped (sudo apt-get install -y chromium)" >&2
exit 0

#!/usr/bin/env bash
# Makes sure the OpenMP runtime (Debian package libgomp1) is present: LightGBM's native library, which trains the
# learned ranker (Microsoft.ML.LightGbm), links against libgomp.so.1. Serving never needs it (the engine scores the
# exported trees itself); training, `make test` and `make bench` do.
set -euo pipefail
have() { ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || ls /usr/lib/*/libgomp.so.1 /lib/*/libgomp.so.1 >/dev/null 2>&1; }
if have; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "libgomp.so.1 is missing: installing the Debian package libgomp1..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq libgomp1 >/dev/null
  have && exit 0
fi
cat >&2 <<'MSG'
The OpenMP runtime libgomp.so.1 (needed to train the learned ranker) is not installed and could not be installed automatically.
Install it with:   sudo apt-get install -y libgomp1      (Debian/Ubuntu)
MSG
exit 1

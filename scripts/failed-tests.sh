#!/usr/bin/env bash
# Prints every failed test of a `dotnet test` console log (normal verbosity) with its message and the top of its
# stack: a CI that shows only the end of the output then still names what failed.
set -uo pipefail
log="${1:?usage: failed-tests.sh LOG}"
[ -f "$log" ] || { echo "failed-tests: no log at $log" >&2; exit 0; }
echo "==================== failed tests (from $log) ===================="
# A failure block starts at "  Failed <Name> [time]" and ends at the run's summary or after 40 lines; other projects'
# result lines, which `dotnet test` interleaves when it runs projects side by side, are left out of it.
awk '
  /^  Failed [^ ]/ { on = 1; n = 0; print ""; print; next }
  on && /^Test Run / { on = 0 }
  on && (/^  (Passed|Skipped) [^ ]/ || /^\[xUnit/) { next }
  on { if (++n <= 40) print }
' "$log"
echo "=================================================================="

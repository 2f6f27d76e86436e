#!/usr/bin/env bash
# Run the workspace's tests and close with one plain line that sums them:
# "tests: N passed, N failed" (cargo's own last line is a doc-test run that
# is often "0 passed").
set -euo pipefail
CARGO="${CARGO:-cargo}"
mkdir -p build
log=build/test.log
set +e
"$CARGO" test --workspace "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The device's tests again on a lean build (the iCEBreaker's: no generator,
# no free-running batches, narrow counters), so the options' gating is
# tested as built for the board.
# (Every target with the device-lean check of targets.toml: the iCEBreaker's,
# generated for an iCE40 as its board builds it, its links' delay lines as
# rings in block RAM: rtl/src/delay.rs, whose tests run with them too, as
# does the core's comparison with the model.)
for t in $(python3 scripts/targets.py device-lean); do
    [ "$rc" = 0 ] || break
    TIDEKV_RTL_CONFIG=$t TIDEKV_FAMILY=ice40 "$CARGO" test --release -p tidekv-rtl "$@" -- device_ delay core_answers_like_the_model 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
done
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$rc"

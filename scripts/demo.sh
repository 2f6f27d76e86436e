#!/usr/bin/env bash
# `make demo`: the main job on a virtual device, no board needed.
#  1. start a virtual device (the Verilated device top, UART link included
#     in its byte stream) on a pty,
#  2. load a schedule onto it (validated, staged, read back, verified, swapped),
#  3. stream a YCSB-A workload through it with a progress bar, failing a
#     replica part-way and recovering it later; print throughput and latency,
#  4. read back every key with an acknowledged write: none may be lost,
#  5. a short open-loop benchmark and the device's counters.
set -euo pipefail

TIDEKV="${TIDEKV:-target/release/tidekv}"
PRESET="${PRESET:-replicated-c10-s2-r3}"
SCHEDULE="${SCHEDULE:-examples/schedule-halves.toml}"
REQUESTS="${REQUESTS:-6000}"
RECORDS="${RECORDS:-300}"
OUT="${OUT:-build/demo}"

mkdir -p "$OUT"
say() { printf '\n== %s\n' "$*"; }

say "tidekv sim --preset $PRESET --pty   (verilates the device top on first use: about a minute)"
"$TIDEKV" sim --preset "$PRESET" --pty --json > "$OUT/sim.json" 2> "$OUT/sim.log" &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    [ -s "$OUT/sim.json" ] && break
    kill -0 $sim 2>/dev/null || { echo "the virtual device did not start:" >&2; cat "$OUT/sim.log" >&2; exit 1; }
    sleep 0.5
done
[ -s "$OUT/sim.json" ] || { echo "the virtual device did not start within 300 s" >&2; exit 1; }
dev=$(sed -n 's/.*"device": *"\([^"]*\)".*/\1/p' "$OUT/sim.json")
echo "virtual device at $dev"
t() { "$TIDEKV" --device "$dev" "$@"; }

say "tidekv info"
t info

say "tidekv load-schedule $SCHEDULE"
t load-schedule "$SCHEDULE"
# (sed, not head: head would close the pipe early, and with pipefail the
# CLI's SIGPIPE would fail the demo.)
t show-schedule | sed -n '1,2p'

say "tidekv stream: $REQUESTS YCSB-A requests (Zipf 0.99 over $RECORDS keys, loaded first); shard 1 replica 0 fails after $((REQUESTS / 3)) and recovers after $((2 * REQUESTS / 3))"
"$TIDEKV" workload --preset "$PRESET" --workload a --records "$RECORDS" --load --requests "$REQUESTS" \
    --fail "1/0@$((REQUESTS / 3))" --recover "1/0@$((2 * REQUESTS / 3))" > "$OUT/workload.jsonl"
t stream "$OUT/workload.jsonl" --output "$OUT/answers.jsonl" --check
echo "answers in $OUT/answers.jsonl; the last:"
tail -n 1 "$OUT/answers.jsonl"

say "tidekv bench --workload b --rounds 300 (open loop, every client every round)"
t bench --workload b --rounds 300 --records "$RECORDS" --no-load

say "tidekv stats"
t stats

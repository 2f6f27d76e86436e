#!/usr/bin/env bash
# The RTL's generation and checks for one configuration.
#   scripts/rtl.sh verilog CONFIG OUTDIR   write OUTDIR/tidekv_core.v, tidekv_device.v, tidekv_mmio.v and build.json
#   scripts/rtl.sh lint CONFIG OUTDIR      verilog, then verilator -Wall lint
#   scripts/rtl.sh check CONFIG OUTDIR     verilog, lint, yosys synth_ice40 and synth_ecp5 of the core
#   scripts/rtl.sh mmio CONFIG OUTDIR      verilog, lint, yosys synth_ecp5 of the PCIe mailbox top
# CONFIG is a preset name or a .toml file. Tools: VERILATOR, YOSYS.
set -euo pipefail
cmd=$1 cfg=$2 out=$3
VERILATOR=${VERILATOR:-verilator}
YOSYS=${YOSYS:-yosys}
root=$(cd "$(dirname "$0")/.." && pwd)
case $cfg in
  *.toml) cfg=$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg") ;;
esac
mkdir -p "$out"
# The generator is rebuilt per configuration (its widths are constants), a
# minute each time the configuration changes. So each generation is kept in
# build/rtl-gen/STAMP, STAMP a hash of everything the output depends on (the
# generator's and defs' sources, targets.toml (the presets defs embeds), Cargo.lock, the
# configuration's text, the link's and family's environment, the toolchain), and a later
# generation with the same stamp copies it instead of rebuilding.
mkdir -p "$root/build"
stamp=$( {
  case $cfg in *.toml) cat "$cfg" ;; *) echo "preset $cfg" ;; esac
  echo "clock=${TIDEKV_CLOCK_HZ:-} baud=${TIDEKV_BAUD:-} id=${TIDEKV_BUILD_ID:-} family=${TIDEKV_FAMILY:-}"
  "${CARGO:-cargo}" --version
  cd "$root" && { find rtl defs -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.vlt' \); echo targets.toml; } | LC_ALL=C sort | xargs sha256sum
  sha256sum "$root/Cargo.lock" "$root/Cargo.toml" | sed "s| $root/| |"
} | sha256sum | cut -c1-16 )
cache=$root/build/rtl-gen/$stamp
# One generation at a time across processes: the generator is rebuilt per
# configuration in one target directory, so another process's build could
# otherwise replace the binary between this one's build and its run.
flock "$root/build/.rtl-gen.lock" bash -c '
  set -euo pipefail
  cfg=$1 cache=$2
  [ -f "$cache/.done" ] && exit 0
  rm -rf "$cache" && mkdir -p "$cache"
  TIDEKV_RTL_CONFIG=$cfg "${CARGO:-cargo}" run -q --release -p tidekv-rtl --bin tidekv-rtl-gen -- "$cache" > "$cache/.line"
  touch "$cache/.done"' _ "$cfg" "$cache"
cp "$cache"/tidekv_core.v "$cache"/tidekv_device.v "$cache"/tidekv_mmio.v "$cache"/build.json "$out"/
sed "s|$cache/|$out/|" "$cache/.line"
[ "$cmd" = verilog ] && exit 0
v=$out/tidekv_core.v
for top in tidekv_core tidekv_device tidekv_mmio; do
  "$VERILATOR" --lint-only -Wall "$root/rtl/lint.vlt" "$out/$top.v" --top-module $top
  echo "lint $top: verilator -Wall clean (waivers: rtl/lint.vlt)"
done
[ "$cmd" = lint ] && exit 0
if [ "$cmd" = mmio ]; then
  "$YOSYS" -q -l "$out/synth_mmio_ecp5.log" -p "read_verilog $out/tidekv_mmio.v; synth_ecp5 -top tidekv_mmio; stat" >/dev/null \
    || { echo "synth_ecp5 of tidekv_mmio failed: see $out/synth_mmio_ecp5.log" >&2; exit 1; }
  stat() { grep -E "^ +$1 " "$out/synth_mmio_ecp5.log" | tail -1 | awk '{print $NF}'; }
  echo "synth_ecp5 tidekv_mmio: ok, $(stat LUT4) LUT4, $(stat CCU2C) CCU2C, $(stat TRELLIS_FF) FF, $(stat DP16KD) DP16KD (log $out/synth_mmio_ecp5.log)"
  exit 0
fi
# Both families at once: the machine has two cores and yosys uses one.
pids=()
for fam in ice40 ecp5; do
  "$YOSYS" -q -l "$out/synth_$fam.log" -p "read_verilog $v; synth_$fam -top tidekv_core; stat" >/dev/null &
  pids+=($!)
done
for i in 0 1; do
  fam=$([ $i = 0 ] && echo ice40 || echo ecp5)
  if ! wait "${pids[$i]}"; then
    echo "synth_$fam failed: see $out/synth_$fam.log" >&2
    exit 1
  fi
  cells=$(grep -E "Number of cells:" "$out/synth_$fam.log" | tail -1 | awk '{print $NF}')
  echo "synth_$fam: ok, $cells cells (log $out/synth_$fam.log)"
done

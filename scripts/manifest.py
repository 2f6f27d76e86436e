#!/usr/bin/env python3
"""A board build's manifest, and the report over all of them.

  manifest.py --board B --board-file F --preset P --dir D --commit C \
              --yosys V --nextpnr V --bitstream FILE    > manifest.json
  manifest.py --summary manifest.json                   (one line per figure)
  manifest.py --report OUT_PREFIX manifest.json...      (OUT.json, OUT.md)
  manifest.py --failed-row BOARD-NAME                   (a failed build's row)

The manifest holds what the report needs (docs/DESIGN.md, "Board builds"):
board, preset, clients, clocks_per_round, lut, ff, bram, fmax_mhz,
target_mhz, timing_met, requests_per_s = clients x Fmax / T, and the commit,
tool versions and nextpnr's own utilisation table beside them.
"""
import argparse
import json
import re
import sys
import tomllib

# Cell names per family in yosys' stat: (LUTs, flip-flops, block RAMs).
CELLS = {
    "ice40": (("SB_LUT4",), ("SB_DFF",), ("SB_RAM40_4K", "SB_SPRAM256KA")),
    "ecp5": (("LUT4",), ("TRELLIS_FF",), ("DP16KD", "PDPW16KD")),
}


def board_data(path):
    """A typed board (constraints/BOARD.toml, checked by tidekv_defs::board
    when the build began)."""
    with open(path, "rb") as f:
        return tomllib.load(f)


def synth_cells(log):
    """The cell counts of the last stat in a yosys log."""
    cells = {}
    for line in open(log):
        if "Number of cells:" in line:
            cells = {}
            continue
        m = re.match(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$", line)
        if m:
            cells[m.group(1)] = int(m.group(2))
    return cells


def count(cells, prefixes):
    return sum(n for k, n in cells.items() if any(k.startswith(p) for p in prefixes))


def manifest(a):
    bd = board_data(a.board_file)
    fam = bd["family"]
    build = json.load(open(f"{a.dir}/build.json"))
    pnr = json.load(open(f"{a.dir}/pnr.json"))
    cells = synth_cells(f"{a.dir}/synth.log")
    lut, ff, bram = (count(cells, p) for p in CELLS[fam])
    clock_hz = int(open(f"{a.dir}/clock_hz").read())
    target = clock_hz / 1e6
    # nextpnr lists every clock; the design's is the one constrained at the
    # target (the PLL output), the oscillator's may be listed too.
    clocks = pnr.get("fmax", {})
    if not clocks:
        sys.exit(f"manifest.py: {a.dir}/pnr.json has no fmax table: did nextpnr route the design?")
    name, fm = min(clocks.items(), key=lambda kv: abs(kv[1]["constraint"] - target))
    fmax = fm["achieved"]
    met = all(c["achieved"] >= c["constraint"] for c in clocks.values())
    c, t = build["clients"], build["clocks_per_round"]
    return {
        "board": a.board,
        "preset": a.preset,
        "family": fam,
        "device": bd["device"],
        "package": bd["package"],
        "commit": a.commit,
        "tools": {"yosys": a.yosys, "nextpnr": a.nextpnr},
        "bitstream": a.bitstream,
        "clients": c,
        "fe_levels": build["fe_levels"],
        "shards": build["shards"],
        "replicas": build["replicas"],
        "key_bits": build["key_bits"],
        "value_bits": build["value_bits"],
        "clocks_per_round": t,
        "latency_rounds": build["latency_rounds"],
        "baud": build["baud"],
        "lut": lut,
        "ff": ff,
        "bram": bram,
        "clock_net": name,
        "fmax_mhz": round(fmax, 2),
        "target_mhz": round(target, 3),
        "timing_met": met,
        "requests_per_s": round(c * fmax * 1e6 / t),
        "requests_per_s_at_target": round(c * clock_hz / t),
        "synth_cells": cells,
        "utilization": pnr.get("utilization", {}),
    }


def summary(m):
    met = "met" if m["timing_met"] else "MISSED"
    return (
        f"{m['board']} {m['preset']}: {m['lut']} LUT, {m['ff']} FF, {m['bram']} BRAM; "
        f"Fmax {m['fmax_mhz']} MHz for a {m['target_mhz']} MHz target (timing {met}); "
        f"T = {m['clocks_per_round']}, C = {m['clients']}: {m['requests_per_s'] / 1e6:.2f} M requests/s at Fmax"
    )


def failed_row(name):
    """The row of a build that stopped before a bitstream: what its logs
    show (the synthesis cell counts if yosys finished) and why it stopped."""
    board, preset = name.split("-", 1)
    d = f"build/boards/{name}"
    row = {"board": board, "preset": preset, "lut": None, "ff": None, "bram": None,
           "fmax_mhz": None, "target_mhz": None, "timing_met": False, "requests_per_s": 0,
           "failed": "the build failed before synthesis ended"}
    try:
        fam = board_data(f"constraints/{board}.toml")["family"]
        cells = synth_cells(f"{d}/synth.log")
        if cells:
            row["lut"], row["ff"], row["bram"] = (count(cells, p) for p in CELLS[fam])
            row["failed"] = "synthesized; nextpnr did not place and route it"
        over = []
        for line in open(f"{d}/pnr.log"):
            # nextpnr's utilisation table: "Info:   DP16KD:   232/   208   111%".
            u = re.match(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", line)
            if u and int(u.group(2)) > int(u.group(3)) and u.group(1) not in [o[0] for o in over]:
                over.append((u.group(1), u.group(2), u.group(3)))
            if "ERROR" in line:
                row["failed"] = "nextpnr: " + line.split("ERROR:", 1)[-1].strip()
                break
        if over:
            row["over"] = [f"{n} {a}/{b}" for n, a, b in over]
            row["failed"] += "; over the device: " + ", ".join(row["over"])
    except (OSError, KeyError):
        pass
    try:
        build = json.load(open(f"{d}/build.json"))
        row["clients"], row["clocks_per_round"] = build["clients"], build["clocks_per_round"]
    except (OSError, KeyError, ValueError):
        row["clients"] = row["clocks_per_round"] = None
    return row


def report(prefix, files, failed):
    ms = [json.load(open(f)) for f in files] + [failed_row(b) for b in failed]
    keys = ["board", "preset", "clients", "clocks_per_round", "lut", "ff", "bram",
            "fmax_mhz", "target_mhz", "timing_met", "requests_per_s"]
    with open(prefix + ".json", "w") as f:
        json.dump(ms, f, indent=1)
        f.write("\n")
    with open(prefix + ".md", "w") as f:
        f.write("# tidekv board builds\n\n")
        f.write("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n")
        for m in ms:
            f.write("| " + " | ".join(str(m[k]) for k in keys) + " |\n")
        f.write("\nrequests_per_s = clients x Fmax / T. Per build, from its manifest "
                "(bitstreams/BOARD-PRESET.json):\n\n")
        for m in ms:
            if "failed" in m:
                f.write(f"- {m['board']} {m['preset']}: {m['failed']} (see build/boards/{m['board']}-{m['preset']}/)\n")
            else:
                f.write(f"- {summary(m)}; commit {m['commit'][:10]}, {m['tools']['yosys']}, {m['tools']['nextpnr']}\n")
    for m in ms:
        print(f"{m['board']} {m['preset']}: {m['failed']}" if "failed" in m else summary(m))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--board")
    p.add_argument("--board-file")
    p.add_argument("--preset")
    p.add_argument("--dir")
    p.add_argument("--commit")
    p.add_argument("--yosys")
    p.add_argument("--nextpnr")
    p.add_argument("--bitstream")
    p.add_argument("--summary")
    p.add_argument("--require-timing", help="a manifest: fail unless nextpnr met its target clock")
    p.add_argument("--report")
    p.add_argument("--failed", default="", help="builds that failed, space-separated")
    p.add_argument("--failed-row", help="BOARD-NAME: that failed build's row as JSON (from build/boards/BOARD-NAME/)")
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    if a.summary:
        print(summary(json.load(open(a.summary))))
    elif a.require_timing:
        m = json.load(open(a.require_timing))
        print(summary(m))
        if not m.get("timing_met"):
            sys.exit(f"{a.require_timing}: timing not met (Fmax {m.get('fmax_mhz')} MHz, target {m.get('target_mhz')} MHz): see the build's pnr.log")
    elif a.failed_row:
        json.dump(failed_row(a.failed_row), sys.stdout)
        sys.stdout.write("\n")
    elif a.report:
        report(a.report, a.files, a.failed.split())
    else:
        json.dump(manifest(a), sys.stdout, indent=1)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()

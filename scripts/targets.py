#!/usr/bin/env python3
"""The one list of targets (targets.toml), for make and the scripts.

  targets.py CHECK      the targets with that check, space-separated
  targets.py --boards   BOARD:TARGET for every board build, space-separated

defs (tidekv_defs::targets) reads and validates the same file; the checks
and what runs each are in its header.
"""
import pathlib
import sys
import tomllib

CHECKS = {"model", "differential", "rtl-lint", "device-lean", "rtl-check", "soak"}


def main(argv):
    path = pathlib.Path(__file__).resolve().parent.parent / "targets.toml"
    targets = tomllib.loads(path.read_text())["target"]
    if argv == ["--boards"]:
        print(" ".join(f"{b}:{t['name']}" for t in targets for b in t.get("boards", [])))
    elif len(argv) == 1 and argv[0] in CHECKS:
        print(" ".join(t["name"] for t in targets if argv[0] in t.get("checks", [])))
    else:
        sys.exit(f"usage: targets.py CHECK | --boards (checks: {', '.join(sorted(CHECKS))})")


if __name__ == "__main__":
    main(sys.argv[1:])

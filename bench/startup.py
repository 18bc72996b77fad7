#!/usr/bin/python3
"""Startup time of the private interpreter against Debian's python3.11.

The command timed is `python3.11 -I -c 'import json'`, once with the
private interpreter (by default speed.py's Optimize: none build, staged
under bench/.work/speed and built or reused from bench/.cache) and once
with Debian's /usr/bin/python3.11. hyperfine (Debian package) times both,
without a shell, in several rounds whose order alternates, so the two are
interleaved; the ratio private / Debian is taken per round (means) and the
median of those ratios is reported. Target (issue 14): <= 1.00.

Usage: /usr/bin/python3 bench/startup.py [--python PATH] [--rounds N] [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

from benchlib import (DEBIAN_PYTHON, BenchError, Check, median, now, print_checks, require_tool, save_results,
                      warn_if_busy)

CODE = "import json"
LABELS = ("private", "debian")
TARGET = 1.00


def command(python: str) -> str:
    return shlex.join([python, "-I", "-c", CODE])


def hyperfine_round(hyperfine: str, pythons: dict[str, str], order: list[str], runs: int, warmup: int) -> dict:
    """One hyperfine invocation over both commands in the given order: mean seconds by label."""
    with tempfile.TemporaryDirectory() as tmp:
        export = os.path.join(tmp, "round.json")
        argv = [hyperfine, "--shell=none", "--style=none", f"--warmup={warmup}", f"--runs={runs}",
                f"--export-json={export}"]
        for label in order:
            argv += ["--command-name", label, command(pythons[label])]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        with open(export, encoding="utf-8") as fd:
            data = json.load(fd)
    return {result["command"]: result["mean"] for result in data["results"]}


def private_python(given: str | None) -> str:
    if given:
        return given
    from speed import build_interpreter  # the Optimize: none build, cached in bench/.cache
    return build_interpreter("none").python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="private interpreter to time (default: speed.py's Optimize: none build)")
    parser.add_argument("--rounds", type=int, default=10, help="hyperfine rounds, order alternating (default 10)")
    parser.add_argument("--runs", type=int, default=30, help="runs of each command per round (default 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 rounds of 5 runs, bench/results/quick")
    args = parser.parse_args(argv)
    rounds, runs = (2, 5) if args.quick else (max(1, args.rounds), max(2, args.runs))
    try:
        hyperfine = require_tool("hyperfine", "hyperfine")
        warn_if_busy()
        started = now()
        pythons = {"private": private_python(args.python), "debian": DEBIAN_PYTHON}
        for label, python in pythons.items():
            subprocess.run([python, "-I", "-c", CODE], check=True)
            print(f"  {label:<8} {command(python)}", flush=True)
        means = []
        for number in range(rounds):
            order = list(LABELS) if number % 2 == 0 else list(reversed(LABELS))
            means.append(hyperfine_round(hyperfine, pythons, order, runs, args.warmup))
            print(f"  round {number + 1:2d}/{rounds}: private {means[-1]['private'] * 1000:6.2f} ms, "
                  f"debian {means[-1]['debian'] * 1000:6.2f} ms", flush=True)
    except (BenchError, subprocess.CalledProcessError, OSError) as error:
        print(f"startup: error: {error}", file=sys.stderr)
        return 2
    ratio = median([m["private"] / m["debian"] for m in means])
    private_ms, debian_ms = (median([m[label] for m in means]) * 1000 for label in LABELS)
    results = [Check(f"startup `-I -c '{CODE}'`: private / Debian python3.11", ratio, "<=", TARGET,
                     f"median of {rounds} rounds x {runs} runs: {private_ms:.1f} ms / {debian_ms:.1f} ms")]
    print_checks("interpreter startup (hyperfine, interleaved rounds)", results)
    save_results("startup", "startup", results, {"rounds": rounds, "runs": runs, "warmup": args.warmup,
                                                  "code": CODE, "pythons": pythons},
                 {"rounds_mean_seconds": means}, args.quick, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

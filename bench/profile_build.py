#!/usr/bin/python3
"""Where a warm build's time goes: seconds per dh command, dh-pyrpath against dh-virtualenv.

Reads build logs whose every line starts with the time it was written (Unix
seconds, as `ts '%.s'` writes them; benchlib's dpkg_buildpackage writes its
logs so). debhelper prints each command on a line of its own ("   dh_strip
-a") before it runs it, and Perl flushes its output before it forks, so a
command's time is the time from its line to the next command's line; the
lines dpkg-buildpackage prints for its own steps (" dpkg-genbuildinfo ...",
" debian/rules binary") end a command too and are counted under their own
names ("debian/rules binary" being make and dh starting up). A command run
twice (by the clean and the binary target) is summed.

Two ways to get the logs:

- default: the latest bench/build_time.py run of the service: its warm and
  its dh-virtualenv build whose times are the medians (from
  bench/results/build_time[-<service>].json, logs in
  bench/.work/build_time[-<service>]/);
- --build: build the service now, with timestamped logs: one cold build to
  fill a fresh cache (not profiled), then one warm and one dh-virtualenv
  build (about 5 minutes for hello-service on 2 cores).

Writes bench/results/profile-<service>.md (a table, slowest pyrpath command
first) and prints it.

Usage: /usr/bin/python3 bench/profile_build.py [--example NAME ...] [--build]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections import OrderedDict

from benchlib import (RESULTS, WORK, BenchError, build_env, copy_source, dpkg_buildpackage, fresh_dir, median, now,
                      warn_if_busy)
from build_time import DEFAULT_EXAMPLE, result_name, venv_debian, work_dir

STAMPED = re.compile(rb"^(\d+\.\d+) (.*)$")
# debhelper's command lines (3 spaces) and dpkg-buildpackage's own steps (1 space).
DH_LINE = re.compile(r"^   (dh_[\w-]+|debian/rules [\w-]+|create-stamp)\b")
DPKG_LINE = re.compile(r"^ (dpkg-[\w-]+|debian/rules [\w-]+)\b")


def command_times(log: str) -> "OrderedDict[str, float]":
    """Seconds per command of a timestamped build log, in the order they first ran."""
    stamps: list[tuple[float, str | None]] = []
    with open(log, "rb") as fd:
        for raw in fd:
            match = STAMPED.match(raw.rstrip(b"\n"))
            if not match:
                continue
            text = match.group(2).decode("utf-8", "replace")
            marker = DH_LINE.match(text) or DPKG_LINE.match(text)
            name = marker.group(1) if marker else None
            if name and name.startswith("debian/rules "):
                name = name.split(" ", 1)[1] if name.split(" ", 1)[1].startswith("override_") else \
                    name + " (make, dh)"
            stamps.append((float(match.group(1)), name))
    if not stamps:
        raise BenchError(f"{log} has no timestamped lines: build it with benchlib.dpkg_buildpackage "
                         "(or pipe dpkg-buildpackage through ts '%.s')")
    times: "OrderedDict[str, float]" = OrderedDict()
    current, since = "dpkg-buildpackage (start)", stamps[0][0]
    for when, name in stamps:
        if name is None:
            continue
        times[current] = times.get(current, 0.0) + when - since
        current, since = name, when
    times[current] = times.get(current, 0.0) + stamps[-1][0] - since
    return times


def logs_of_last_run(example: str) -> tuple[str, str, float, float]:
    """(warm log, venv log, their build times): the median warm and venv builds of the last build_time run."""
    path = os.path.join(RESULTS, f"{result_name(example)}.json")
    if not os.path.exists(path):
        raise BenchError(f"no {os.path.relpath(path)}: run bench/build_time.py --example {example}, or use --build")
    with open(path, encoding="utf-8") as fd:
        builds = json.load(fd)["raw"]["builds"]
    chosen = []
    for kind in ("warm", "venv"):
        numbered = [(number, build) for number, build in enumerate(builds, 1) if build["kind"] == kind]
        middle = median([build["seconds"] for _, build in numbered])
        number, build = min(numbered, key=lambda nb: abs(nb[1]["seconds"] - middle))
        log = os.path.join(work_dir(example), f"{number:02d}-{kind}.log")
        if not os.path.exists(log):
            raise BenchError(f"{log} is gone (a later build_time run replaced it?): use --build")
        chosen.append((log, build["seconds"]))
    return chosen[0][0], chosen[1][0], chosen[0][1], chosen[1][1]


def build_now(example: str) -> tuple[str, str, float, float]:
    """Build the service now: a cold build fills a fresh cache, then one warm and one dh-virtualenv build."""
    here = fresh_dir(os.path.join(WORK, "profile", example))
    cache = fresh_dir(os.path.join(here, "cache"))
    result = {}
    for kind in ("fill", "warm", "venv"):
        top = fresh_dir(os.path.join(here, kind))
        package = f"{example}-venv" if kind == "venv" else example
        src = copy_source(example, os.path.join(top, package), debian=venv_debian(example) if kind == "venv" else None)
        log = os.path.join(here, f"{kind}.log")
        if os.path.exists(log):
            os.unlink(log)
        print(f"  {example}: {kind} build ...", end="", flush=True)
        seconds = dpkg_buildpackage(src, log, build_env(cache if kind != "venv" else None))
        print(f" {seconds:.1f} s", flush=True)
        result[kind] = (log, seconds)
        shutil.rmtree(top)
    shutil.rmtree(cache)
    return result["warm"][0], result["venv"][0], result["warm"][1], result["venv"][1]


def table(example: str, warm_log: str, venv_log: str, warm_seconds: float, venv_seconds: float,
          source: str) -> str:
    pyrpath, venv = command_times(warm_log), command_times(venv_log)
    names = sorted(set(pyrpath) | set(venv), key=lambda n: (-pyrpath.get(n, 0.0), -venv.get(n, 0.0), n))
    lines = [f"# Warm build of {example}: seconds per dh command", "",
             f"{source}; profiled {now()} by bench/profile_build.py from the timestamped logs",
             f"`{os.path.relpath(warm_log, WORK)}` (dh-pyrpath, warm cache) and `{os.path.relpath(venv_log, WORK)}` "
             "(dh-virtualenv) under bench/.work/.",
             "A command's time runs from its line in the log to the next command's; "
             "`debian/rules X (make, dh)` is make and dh starting the target.", "",
             "| command | dh-pyrpath (s) | dh-virtualenv (s) | difference (s) |", "|---|---:|---:|---:|"]

    def cell(times: dict, name: str) -> str:
        return f"{times[name]:.1f}" if name in times else "-"

    for name in names:
        lines.append(f"| `{name}` | {cell(pyrpath, name)} | {cell(venv, name)} | "
                     f"{pyrpath.get(name, 0.0) - venv.get(name, 0.0):+.1f} |")
    total_p, total_v = sum(pyrpath.values()), sum(venv.values())
    lines.append(f"| **sum of the above** | **{total_p:.1f}** | **{total_v:.1f}** | **{total_p - total_v:+.1f}** |")
    lines += ["", f"Whole `dpkg-buildpackage` (timed by the benchmark): {warm_seconds:.1f} s / {venv_seconds:.1f} s "
              f"= {warm_seconds / venv_seconds:.2f}x.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", action="append", help=f"service(s) to profile (default {DEFAULT_EXAMPLE} "
                                                            "and api-service)")
    parser.add_argument("--build", action="store_true", help="build now instead of reading build_time.py's logs")
    args = parser.parse_args(argv)
    try:
        for example in args.example or [DEFAULT_EXAMPLE, "api-service"]:
            if args.build:
                warn_if_busy()
                logs = build_now(example)
                source = "One cold (cache-filling), one warm and one dh-virtualenv build made by profile_build.py --build"
            else:
                logs = logs_of_last_run(example)
                source = (f"The warm and the dh-virtualenv build of the last bench/build_time.py --example {example} "
                          "run whose times are nearest their medians")
            text = table(example, *logs, source)
            path = os.path.join(RESULTS, f"profile-{example}.md")
            os.makedirs(RESULTS, exist_ok=True)
            with open(path, "w", encoding="utf-8") as fd:
                fd.write(text)
            print(text)
            print(f"written: {os.path.relpath(path)}\n")
    except BenchError as error:
        print(f"profile_build: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

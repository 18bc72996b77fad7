#!/usr/bin/python3
"""Run every dh-pyrpath benchmark in turn (what `make bench` does).

Each benchmark is its own script and writes bench/results/<name>.json;
this one then prints bench/results/latest.md, the table of them all.
build_time runs twice: on examples/hello-service (build_time.json) and on
the 33-dependency fixture bench/services/api-service
(build_time-api-service.json); speed too: the Optimize levels (speed.json),
then the interpreter of the runtime package sbuild_time built
(speed-runtime.json).
With --quick, each runs its reduced smoke-test version and the results go
to bench/results/quick/ instead. --apt-packages prints the Debian packages
the benchmarks need (dh-pyrpath's own Depends, read from debian/control,
plus dh-virtualenv, python3-venv, hyperfine, sbuild, mmdebstrap and uidmap),
for `apt-get install`.

Usage: /usr/bin/python3 bench/run_all.py [--quick] [--only build_time,speed] [--apt-packages]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

from benchlib import BENCH, ORDER, QUICK_RESULTS, RESULTS, ROOT, markdown, load_results, write_markdown

# sbuild, mmdebstrap, uidmap: sbuild_time's clean chroot (unshare mode).
BENCH_PACKAGES = ("dh-virtualenv", "python3-venv", "hyperfine", "sbuild", "mmdebstrap", "uidmap")


def invocations(name: str) -> list[list[str]]:
    """The argument lists each benchmark script runs with, in order."""
    if name == "build_time":
        return [[], ["--example", "api-service"]]
    if name == "speed":
        from sbuild_time import runtime_deb_path
        return [[], ["--levels=", "--runtime-deb", runtime_deb_path()]]
    return [[]]


def depends(control: str) -> list[str]:
    """Package names of the first binary package's Depends (versions, alternatives, substvars dropped)."""
    with open(control, encoding="utf-8") as fd:
        text = fd.read()
    binary = text.split("\nPackage:", 1)[1]
    field = re.search(r"^Depends:(.*(?:\n[ \t].*)*)", binary, re.MULTILINE)
    names = []
    for relation in (field.group(1) if field else "").replace("\n", " ").split(","):
        name = relation.split("|")[0].split("(")[0].split("[")[0].strip()
        if name and not name.startswith("$"):
            names.append(name.split(":")[0])
    return names


def apt_packages() -> list[str]:
    return list(dict.fromkeys(depends(os.path.join(ROOT, "debian", "control")) + list(BENCH_PACKAGES)))


def run(name: str, quick: bool) -> int:
    """Every invocation of the benchmark; the first non-zero exit status, else 0."""
    status = 0
    for extra in invocations(name):
        argv = [sys.executable, os.path.join(BENCH, f"{name}.py"), *extra] + (["--quick"] if quick else [])
        print(f"\n######## {' '.join(argv[1:])}", flush=True)
        status = status or subprocess.run(argv).returncode
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced smoke-test runs, results in bench/results/quick")
    parser.add_argument("--only", default=",".join(ORDER), help=f"comma-separated subset of {', '.join(ORDER)}")
    parser.add_argument("--apt-packages", action="store_true", help="print the apt packages needed and exit")
    args = parser.parse_args(argv)
    if args.apt_packages:
        print(" ".join(apt_packages()))
        return 0
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(ORDER)}")
    sys.path.insert(0, BENCH)
    from speed import ensure_pyperformance
    ensure_pyperformance()
    failed = [name for name in ORDER if name in names and run(name, args.quick) != 0]
    directory = QUICK_RESULTS if args.quick else RESULTS
    if os.path.isdir(directory):
        path = write_markdown(directory)
        print(f"\n######## {os.path.relpath(path)}\n")
        print(markdown(load_results(directory)))
    if failed:
        print(f"failed: {', '.join(failed)} (see the messages above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

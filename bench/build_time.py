#!/usr/bin/python3
"""Build time and package size of examples/hello-service: dh-pyrpath against dh-virtualenv.

Three kinds of build of the same service, interleaved round by round (the
order rotates each round), every one a full `dpkg-buildpackage -b -us -uc`
of a fresh copy of the source:

- venv: the service packaged with Debian's dh-virtualenv
  (bench/dh-virtualenv/hello-service/debian swapped in);
- cold: dh-pyrpath with a fresh, empty DH_PYRPATH_CACHE (it fetches the
  CPython source and compiles it);
- warm: dh-pyrpath with a cache that already holds that build (the first
  cold build fills it), i.e. every build after the first on a machine.

Medians are compared. The targets:

- warm <= 1.5 x venv;
- cold <= 1.2 x (CPython build alone + venv), CPython build alone being
  the `dh_pyrpath_buildpython: built CPython ... in N s` line of the cold
  builds' logs;
- .deb file size <= 2.0 x, installed size (Installed-Size) <= 2.5 x the
  dh-virtualenv package's.

Usage: /usr/bin/python3 bench/build_time.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from benchlib import (BENCH, WORK, BenchError, Check, build_env, copy_source, cpython_seconds, deb_sizes, debs_in,
                      dpkg_buildpackage, fresh_dir, median, now, print_checks, require_tool, rotations,
                      save_results, warn_if_busy)

EXAMPLE = "hello-service"
VENV_PACKAGE = "hello-service-venv"
VENV_DEBIAN = os.path.join(BENCH, "dh-virtualenv", EXAMPLE, "debian")
KINDS = ("venv", "cold", "warm")
HERE = os.path.join(WORK, "build_time")


def build_once(kind: str, number: int, cache: str | None) -> dict:
    """One build of the given kind with the given cache; its times and package sizes. The tree is removed after."""
    top = fresh_dir(os.path.join(HERE, f"{number:02d}-{kind}"))
    log = os.path.join(HERE, f"{number:02d}-{kind}.log")
    package = VENV_PACKAGE if kind == "venv" else EXAMPLE
    src = copy_source(EXAMPLE, os.path.join(top, package), debian=VENV_DEBIAN if kind == "venv" else None)
    print(f"  build {number:2d}: {kind:<4} ...", end="", flush=True)
    seconds = dpkg_buildpackage(src, log, build_env(cache))
    size, installed = deb_sizes(debs_in(top)[package])
    compiled = cpython_seconds(log)
    if kind == "warm" and compiled:
        raise BenchError(f"the warm build compiled CPython (cache {cache} was not used); log {log}")
    if kind == "cold" and not compiled:
        raise BenchError(f"the cold build logged no 'built CPython ... in N s' line; log {log}")
    print(f" {seconds:7.1f} s" + (f" (CPython {compiled[0]:.0f} s)" if compiled else ""), flush=True)
    shutil.rmtree(top)
    return {"kind": kind, "seconds": round(seconds, 2), "cpython_seconds": compiled[0] if compiled else None,
            "deb_bytes": size, "installed_kib": installed, "log": os.path.relpath(log)}


def plan(runs: int) -> list[str]:
    """The build order: the first cold build fills the warm cache, then the kinds rotate."""
    order = ["cold", "venv", "warm"]
    for kinds in rotations(KINDS, runs)[1:]:
        order += kinds
    return order


def measure(runs: int) -> list[dict]:
    """Every build of the plan: the first cold one fills the warm cache, later cold ones get an empty one."""
    fresh_dir(HERE)
    warm_cache = fresh_dir(os.path.join(HERE, "cache-warm"))
    builds = []
    for number, kind in enumerate(plan(runs), 1):
        if kind == "cold" and number > 1:
            cache = fresh_dir(os.path.join(HERE, f"cache-cold-{number:02d}"))
            builds.append(build_once(kind, number, cache))
            shutil.rmtree(cache)
        else:
            builds.append(build_once(kind, number, warm_cache if kind != "venv" else None))
    shutil.rmtree(warm_cache)
    return builds


def checks(builds: list[dict]) -> list[Check]:
    def of(kind: str, key: str) -> list[float]:
        return [b[key] for b in builds if b["kind"] == kind]

    venv, cold, warm = (median(of(k, "seconds")) for k in KINDS)
    cpython = median(of("cold", "cpython_seconds"))
    n = len(of("venv", "seconds"))
    last = {b["kind"]: b for b in builds}
    deb_ratio = last["warm"]["deb_bytes"] / last["venv"]["deb_bytes"]
    inst_ratio = last["warm"]["installed_kib"] / last["venv"]["installed_kib"]
    return [
        Check("warm build / dh-virtualenv build", warm / venv, "<=", 1.5,
              f"medians of {n}: {warm:.0f} s / {venv:.0f} s"),
        Check("cold build / (CPython build alone + dh-virtualenv build)", cold / (cpython + venv), "<=", 1.2,
              f"medians: {cold:.0f} s / ({cpython:.0f} s + {venv:.0f} s)"),
        Check(".deb size / dh-virtualenv .deb size", deb_ratio, "<=", 2.0,
              f"{last['warm']['deb_bytes'] / 2**20:.1f} MiB / {last['venv']['deb_bytes'] / 2**20:.1f} MiB"),
        Check("installed size / dh-virtualenv installed size", inst_ratio, "<=", 2.5,
              f"Installed-Size {last['warm']['installed_kib'] / 1024:.1f} MiB / "
              f"{last['venv']['installed_kib'] / 1024:.1f} MiB"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="builds of each kind (default 3; medians)")
    parser.add_argument("--quick", action="store_true", help="smoke test: --runs 1, results in bench/results/quick")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    try:
        require_tool("dh_virtualenv", "dh-virtualenv python3-venv")
        warn_if_busy()
        started = now()
        print(f"build_time: {runs} build(s) each of {', '.join(KINDS)} for {EXAMPLE}, interleaved", flush=True)
        builds = measure(runs)
        results = checks(builds)
    except BenchError as error:
        print(f"build_time: error: {error}", file=sys.stderr)
        return 2
    print_checks(f"build time and size of {EXAMPLE}: dh-pyrpath vs dh-virtualenv ({runs} run(s) each)", results)
    save_results("build_time", "build time and size", results, {"runs": runs, "example": EXAMPLE},
                 {"builds": builds}, args.quick, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

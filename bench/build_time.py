#!/usr/bin/python3
"""Build time and package size of a service: dh-pyrpath against dh-virtualenv.

Three kinds of build of the same service, interleaved round by round (the
order rotates each round), every one a full `dpkg-buildpackage -b -us -uc`
of a fresh copy of the source of the service (--example: examples/hello-service,
the default, or the bench-only fixture bench/services/api-service, 33 pinned
dependencies):

- venv: the service packaged with Debian's dh-virtualenv
  (bench/dh-virtualenv/<example>/debian swapped in);
- cold: dh-pyrpath with a fresh, empty DH_PYRPATH_CACHE (it fetches the
  CPython source and compiles it);
- warm: dh-pyrpath with a cache that already holds that build (the first
  cold build fills it), i.e. every build after the first on a machine.

Medians are compared. The targets (issue 14):

- warm <= 1.2 x venv;
- cold <= 1.2 x (CPython build alone + venv), CPython build alone being
  the `dh_pyrpath_buildpython: built CPython ... in N s` line of the cold
  builds' logs;
- .deb file size <= 2.0 x, installed size (Installed-Size) <= 2.0 x the
  dh-virtualenv package's.

The build logs (bench/.work/build_time[-<example>]/NN-<kind>.log) carry a
timestamp on every line, and the .deb of each build is kept beside its log; bench/profile_build.py turns them into the time of
each dh command. Results: bench/results/build_time.json for hello-service,
build_time-<example>.json for another.

Usage: /usr/bin/python3 bench/build_time.py [--example NAME] [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from benchlib import (BENCH, WORK, BenchError, Check, build_env, copy_source, cpython_seconds, deb_sizes, debs_in,
                      dpkg_buildpackage, example_dir, fresh_dir, median, now, print_checks, require_tool, rotations,
                      save_results, warn_if_busy)

DEFAULT_EXAMPLE = "hello-service"
KINDS = ("venv", "cold", "warm")
WARM, COLD, INSTALLED, DEB = 1.2, 1.2, 2.0, 2.0  # the targets


def venv_debian(example: str) -> str:
    """The debian/ directory that packages the example with dh-virtualenv (binary package <example>-venv)."""
    return os.path.join(BENCH, "dh-virtualenv", example, "debian")


def result_name(example: str) -> str:
    return "build_time" if example == DEFAULT_EXAMPLE else f"build_time-{example}"


def work_dir(example: str) -> str:
    return os.path.join(WORK, result_name(example))


def build_once(example: str, kind: str, number: int, cache: str | None) -> dict:
    """One build of the given kind with the given cache; its times and package sizes. The tree is removed after."""
    here = work_dir(example)
    top = fresh_dir(os.path.join(here, f"{number:02d}-{kind}"))
    log = os.path.join(here, f"{number:02d}-{kind}.log")
    package = f"{example}-venv" if kind == "venv" else example
    src = copy_source(example, os.path.join(top, package), debian=venv_debian(example) if kind == "venv" else None)
    print(f"  build {number:2d}: {kind:<4} ...", end="", flush=True)
    seconds = dpkg_buildpackage(src, log, build_env(cache))
    deb = debs_in(top)[package]
    size, installed = deb_sizes(deb)
    compiled = cpython_seconds(log)
    if kind == "warm" and compiled:
        raise BenchError(f"the warm build compiled CPython (cache {cache} was not used); log {log}")
    if kind == "cold" and not compiled:
        raise BenchError(f"the cold build logged no 'built CPython ... in N s' line; log {log}")
    print(f" {seconds:7.1f} s" + (f" (CPython {compiled[0]:.0f} s)" if compiled else ""), flush=True)
    shutil.move(deb, os.path.join(here, f"{number:02d}-{kind}.deb"))  # kept beside the log, to look into
    shutil.rmtree(top)
    return {"kind": kind, "seconds": round(seconds, 2), "cpython_seconds": compiled[0] if compiled else None,
            "deb_bytes": size, "installed_kib": installed, "log": os.path.relpath(log)}


def plan(runs: int) -> list[str]:
    """The build order: the first cold build fills the warm cache, then the kinds rotate."""
    order = ["cold", "venv", "warm"]
    for kinds in rotations(KINDS, runs)[1:]:
        order += kinds
    return order


def measure(example: str, runs: int) -> list[dict]:
    """Every build of the plan: the first cold one fills the warm cache, later cold ones get an empty one."""
    here = fresh_dir(work_dir(example))
    warm_cache = fresh_dir(os.path.join(here, "cache-warm"))
    builds = []
    for number, kind in enumerate(plan(runs), 1):
        if kind == "cold" and number > 1:
            cache = fresh_dir(os.path.join(here, f"cache-cold-{number:02d}"))
            builds.append(build_once(example, kind, number, cache))
            shutil.rmtree(cache)
        else:
            builds.append(build_once(example, kind, number, warm_cache if kind != "venv" else None))
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
        Check("warm build / dh-virtualenv build", warm / venv, "<=", WARM,
              f"medians of {n}: {warm:.0f} s / {venv:.0f} s"),
        Check("cold build / (CPython build alone + dh-virtualenv build)", cold / (cpython + venv), "<=", COLD,
              f"medians: {cold:.0f} s / ({cpython:.0f} s + {venv:.0f} s)"),
        Check(".deb size / dh-virtualenv .deb size", deb_ratio, "<=", DEB,
              f"{last['warm']['deb_bytes'] / 2**20:.1f} MiB / {last['venv']['deb_bytes'] / 2**20:.1f} MiB"),
        Check("installed size / dh-virtualenv installed size", inst_ratio, "<=", INSTALLED,
              f"Installed-Size {last['warm']['installed_kib'] / 1024:.1f} MiB / "
              f"{last['venv']['installed_kib'] / 1024:.1f} MiB"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", default=DEFAULT_EXAMPLE,
                        help="the service: examples/NAME or bench/services/NAME, with bench/dh-virtualenv/NAME/debian "
                             f"(default {DEFAULT_EXAMPLE}; api-service has 33 pinned dependencies)")
    parser.add_argument("--runs", type=int, default=3, help="builds of each kind (default 3; medians)")
    parser.add_argument("--quick", action="store_true", help="smoke test: --runs 1, results in bench/results/quick")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    example = args.example
    try:
        require_tool("dh_virtualenv", "dh-virtualenv python3-venv")
        example_dir(example)
        if not os.path.isdir(venv_debian(example)):
            raise BenchError(f"no dh-virtualenv packaging of {example}: {os.path.relpath(venv_debian(example))}")
        warn_if_busy()
        started = now()
        print(f"build_time: {runs} build(s) each of {', '.join(KINDS)} for {example}, interleaved", flush=True)
        builds = measure(example, runs)
        results = checks(builds)
    except BenchError as error:
        print(f"build_time: error: {error}", file=sys.stderr)
        return 2
    print_checks(f"build time and size of {example}: dh-pyrpath vs dh-virtualenv ({runs} run(s) each)", results)
    title = "build time and size" if example == DEFAULT_EXAMPLE else f"build time and size, {example}"
    save_results(result_name(example), title, results, {"runs": runs, "example": example},
                 {"builds": builds}, args.quick, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

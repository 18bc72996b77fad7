#!/usr/bin/python3
"""Cold build time of N services from one source package against N separate builds.

examples/twin-services builds N = 2 binary packages (twin-alpha and
twin-beta), each with its own private CPython under its own prefix. The
fair comparison is the same services packaged one per source package: from
twin-services this script derives N single-package source trees (its
debian/control reduced to the source stanza and one package, the other
packages' debian/<pkg>.* files dropped), so the code, requirements and
configuration built are the same; only the grouping differs.

- together: twin-services built once, with a fresh empty DH_PYRPATH_CACHE;
- separate: each single-package source built with its own fresh empty
  cache, as N cold builds are (N sbuild chroots, N CI jobs, N machines):
  each fetches the CPython source and builds CPython.

Ratio: together / (sum of the separate builds), medians over the rounds,
run interleaved (the order alternates each round); also the same ratio of
the CPython compile times (the `built CPython ... in N s` lines). While
every prefix compiled its own CPython this was about 1.0; when one source's
packages share one CPython build it falls towards 1/N. Informational: no
target.

Usage: /usr/bin/python3 bench/n_services.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys

from benchlib import (EXAMPLES, WORK, BenchError, Check, build_env, copy_source, cpython_seconds, debs_in,
                      dpkg_buildpackage, fresh_dir, median, now, print_checks, save_results, warn_if_busy)

EXAMPLE = "twin-services"
HERE = os.path.join(WORK, "n_services")


def paragraphs(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fd:
        return [p.strip("\n") for p in fd.read().split("\n\n") if p.strip()]


def package_of(paragraph: str) -> str | None:
    for line in paragraph.splitlines():
        if line.lower().startswith("package:"):
            return line.split(":", 1)[1].strip()
    return None


def packages(control: str) -> list[str]:
    """The binary packages of a control file that carry a .pyrpath file."""
    debian = os.path.dirname(control)
    names = [package_of(p) for p in paragraphs(control)[1:]]
    return [n for n in names if n and os.path.exists(os.path.join(debian, f"{n}.pyrpath"))]


def single_package_source(dest: str, keep: str, others: list[str]) -> str:
    """A copy of the example whose debian/ describes only the package keep."""
    src = copy_source(EXAMPLE, dest)
    control = os.path.join(src, "debian", "control")
    stanzas = paragraphs(control)
    kept = [stanzas[0]] + [p for p in stanzas[1:] if package_of(p) == keep]
    with open(control, "w", encoding="utf-8") as fd:
        fd.write("\n\n".join(kept) + "\n")
    for other in others:
        for path in glob.glob(os.path.join(src, "debian", f"{other}.*")):
            os.unlink(path)
    return src


def build(src: str, cache: str, log: str, cold: bool) -> tuple[float, list[float]]:
    """(wall-clock seconds, CPython compile seconds) of one build of src."""
    seconds = dpkg_buildpackage(src, log, build_env(cache))
    compiled = cpython_seconds(log)
    if cold and not compiled:
        raise BenchError(f"the build compiled no CPython although its cache was empty; log {log}")
    return seconds, compiled


def compiled_text(compiled: list[float]) -> str:
    return "CPython " + " + ".join(f"{c:.0f} s" for c in compiled) if compiled else "CPython reused"


def new_cache(path: str, seed: str | None) -> str:
    """A fresh empty cache; with seed (smoke tests only), a copy of that cache instead."""
    shutil.rmtree(path, ignore_errors=True)
    if seed:
        subprocess.run(["cp", "-a", "--reflink=auto", seed, path], check=True)
    else:
        os.makedirs(path)
    return path


def together(number: int, names: list[str], seed: str | None) -> dict:
    top = fresh_dir(os.path.join(HERE, f"{number:02d}-together"))
    src = copy_source(EXAMPLE, os.path.join(top, EXAMPLE))
    cache = new_cache(os.path.join(HERE, "cache"), seed)
    print(f"  build {number:2d}: together ({' + '.join(names)}) ...", end="", flush=True)
    seconds, compiled = build(src, cache, os.path.join(HERE, f"{number:02d}-together.log"), not seed)
    if sorted(debs_in(top)) != sorted(names):
        raise BenchError(f"expected the packages {names}, got {sorted(debs_in(top))}")
    print(f" {seconds:7.1f} s ({compiled_text(compiled)})", flush=True)
    shutil.rmtree(top)
    shutil.rmtree(cache)
    return {"seconds": seconds, "cpython_seconds": sum(compiled)}


def separate(number: int, names: list[str], seed: str | None) -> dict:
    seconds, compiled = 0.0, 0.0
    for name in names:
        top = fresh_dir(os.path.join(HERE, f"{number:02d}-separate-{name}"))
        src = single_package_source(os.path.join(top, name), name, [n for n in names if n != name])
        cache = new_cache(os.path.join(HERE, "cache"), seed)
        print(f"  build {number:2d}: separate {name} ...", end="", flush=True)
        took, built = build(src, cache, os.path.join(HERE, f"{number:02d}-separate-{name}.log"), not seed)
        if list(debs_in(top)) != [name]:
            raise BenchError(f"expected the package {name} alone, got {sorted(debs_in(top))}")
        print(f" {took:7.1f} s ({compiled_text(built)})", flush=True)
        seconds, compiled = seconds + took, compiled + sum(built)
        shutil.rmtree(top)
        shutil.rmtree(cache)
    return {"seconds": seconds, "cpython_seconds": compiled}


def measure(runs: int, names: list[str], seed: str | None) -> dict[str, list[dict]]:
    fresh_dir(HERE)
    measured: dict[str, list[dict]] = {"together": [], "separate": []}
    number = 0
    for round_number in range(runs):
        order = ["together", "separate"] if round_number % 2 == 0 else ["separate", "together"]
        for kind in order:
            number += 1
            runner = together if kind == "together" else separate
            measured[kind].append(runner(number, names, seed))
    return measured


def checks(measured: dict[str, list[dict]], n: int, cold: bool = True) -> list[Check]:
    def med(kind: str, key: str) -> float:
        return median([m[key] for m in measured[kind]])

    runs = len(measured["together"])
    compiled = med("separate", "cpython_seconds")
    how = "cold" if cold else "seeded cache, NOT cold"
    return [
        Check(f"{n} services, one source / {n} separate sources ({how} build time)",
              med("together", "seconds") / med("separate", "seconds"), detail=(
                  f"medians of {runs}: {med('together', 'seconds'):.0f} s / {med('separate', 'seconds'):.0f} s")),
        Check(f"{n} services, one source / {n} separate sources (CPython compile time)",
              med("together", "cpython_seconds") / compiled if compiled else None, detail=(
                  f"{med('together', 'cpython_seconds'):.0f} s / {med('separate', 'cpython_seconds'):.0f} s")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each (default 3; medians)")
    parser.add_argument("--quick", action="store_true", help="smoke test: --runs 1, results in bench/results/quick")
    parser.add_argument("--seed-cache", metavar="DIR",
                        help="testing the script only: start each cache as a copy of DIR, so the builds are NOT "
                             "cold (the figures go to bench/results/quick)")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    names = packages(os.path.join(EXAMPLES, EXAMPLE, "debian", "control"))
    try:
        if len(names) < 2:
            raise BenchError(f"examples/{EXAMPLE} has {len(names)} package(s) with a .pyrpath file; need 2 or more")
        warn_if_busy()
        started = now()
        print(f"n_services: {EXAMPLE} ({len(names)} services) vs {len(names)} single-service sources, "
              f"cold, {runs} round(s)" + (f"; caches seeded from {args.seed_cache} (NOT cold)" if args.seed_cache
                                          else ""), flush=True)
        measured = measure(runs, names, args.seed_cache)
    except BenchError as error:
        print(f"n_services: error: {error}", file=sys.stderr)
        return 2
    results = checks(measured, len(names), cold=not args.seed_cache)
    print_checks(f"{len(names)} services from one source package vs separate source packages", results)
    save_results("n_services", "N services", results,
                 {"runs": runs, "example": EXAMPLE, "packages": names, "seed_cache": args.seed_cache},
                 measured, args.quick or bool(args.seed_cache), started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

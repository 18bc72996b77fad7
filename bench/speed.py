#!/usr/bin/python3
"""Interpreter speed at each Optimize level against Debian's /usr/bin/python3.11.

For each level (none, lto, pgo, pgo+lto) the real dh_pyrpath_buildpython
builds CPython in a throwaway source package under bench/.work/speed
(one Architecture: any package, `Python-Source: debian:python3.11`,
`Optimize: <level>`), with its own cache bench/.cache so that reruns reuse
the builds; the interpreter is run where it is staged,
debian/.debhelper/pyrpath/<pkg>/stage/opt/<pkg>/bin/python3.11. Each one is
checked to be configured for its level (--enable-optimizations, --with-lto).

pyperformance (pinned, installed into bench/.venv) runs a fixed subset of
its benchmarks with --fast. The runs are interleaved: one pyperformance
invocation per benchmark and interpreter, the interpreters' order rotating
from one benchmark to the next, over --rounds passes (default 3), each pass into its own
pyperf files. For each benchmark and round the ratio is Debian's median
time / the level's median time (read from the pyperf JSON with pyperf), so
above 1 is faster than Debian's; a benchmark's ratio is the median over the
rounds, and the score of a level the geometric mean of those. Targets
(issue 14): none >= 0.97, pgo+lto >= 1.08. Build times of each level
come from the build logs (`built CPython ... in N s`), as a ratio to the
'none' build, to weigh speed against build time when choosing the default.

--compare LABEL=PYTHON adds an interpreter that is already built (an
earlier recipe's, a cache entry's bin/python3.11) to the same interleaved
run; with --levels= (empty) nothing is built.

--runtime-deb DEB adds the interpreter of a runtime package (issue 13; the
one bench/sbuild_time.py builds, Optimize: pgo+lto): the package is
installed on the host for the run (purged after unless it was installed
before), and a throwaway package with `Python-Source: runtime:<name>` has
dh_pyrpath_buildpython copy and relocate its tree, as every service's build
does; that staged interpreter is the one measured. Target: >= 1.03. Results
of a run with --runtime-deb go to bench/results/speed-runtime.json, the
others to speed.json.

Usage: /usr/bin/python3 bench/speed.py [--levels none,pgo+lto] [--benchmarks nbody,go] [--rounds N]
       [--compare LABEL=PYTHON ...] [--runtime-deb DEB] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

from benchlib import (BENCH, DEBIAN_PYTHON, WORK, BenchError, Check, build_env, cpython_seconds, fresh_dir,
                      geomean, installed, median, now, print_checks, rotations, run_logged, save_results, warn_if_busy)

LEVELS = ("none", "lto", "pgo", "pgo+lto")
BENCHMARKS = ("nbody", "float", "richards", "fannkuch", "json_dumps", "json_loads", "regex_v8", "deltablue",
              "go", "raytrace", "chaos", "spectral_norm")
QUICK_BENCHMARKS = ("nbody",)
PYPERFORMANCE = "pyperformance==1.14.0"
CACHE = os.path.join(BENCH, ".cache")
VENV = os.path.join(BENCH, ".venv")
HERE = os.path.join(WORK, "speed")
BUILD_TIMES = os.path.join(HERE, "build-times.json")
DEBIAN = "debian"  # the label of Debian's interpreter
CONTROL = """\
Source: pyrpath-bench
Maintainer: dh-pyrpath benchmarks <bench@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath

Package: {package}
Architecture: any
Description: dh-pyrpath benchmark interpreter, {description}
 Built by bench/speed.py; never packaged.
"""
RUNTIME = "runtime"  # the label of a runtime package's interpreter
TARGETS = {"none": 0.97, "pgo+lto": 1.08, RUNTIME: 1.03}  # speed / Debian's python3.11, geometric mean
# Run by the pyperformance venv's Python: the median time of each benchmark of a pyperf file.
MEDIANS = "import json, sys, pyperf; print(json.dumps({b.get_name(): b.median() " \
          "for b in pyperf.BenchmarkSuite.load(sys.argv[1]).get_benchmarks()}))"


@dataclass(frozen=True)
class Interpreter:
    label: str
    python: str
    build_seconds: float | None = None


def package_name(level: str) -> str:
    return "pybench-" + level.replace("+", "-")


def configured_level(python: str) -> str:
    """The Optimize level an interpreter was configured with, read from its CONFIG_ARGS."""
    args = subprocess.run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_config_var('CONFIG_ARGS'))"],
                          check=True, capture_output=True, text=True).stdout
    parts = [p for p, flag in (("pgo", "--enable-optimizations"), ("lto", "--with-lto")) if flag in args]
    return "+".join(parts) or "none"


def recorded_build_times() -> dict[str, float]:
    if not os.path.exists(BUILD_TIMES):
        return {}
    with open(BUILD_TIMES, encoding="utf-8") as fd:
        return json.load(fd)


def record_build_time(level: str, seconds: float) -> None:
    times = recorded_build_times()
    times[level] = seconds
    with open(BUILD_TIMES, "w", encoding="utf-8") as fd:
        json.dump(times, fd, indent=1)


def stage_interpreter(package: str, description: str, pyrpath: str, log: str) -> str:
    """dh_pyrpath_buildpython in a throwaway source package with this debian/<pkg>.pyrpath; the staged python."""
    src = fresh_dir(os.path.join(HERE, package))
    os.makedirs(os.path.join(src, "debian"))
    with open(os.path.join(src, "debian", "control"), "w", encoding="utf-8") as fd:
        fd.write(CONTROL.format(package=package, description=description))
    with open(os.path.join(src, "debian", f"{package}.pyrpath"), "w", encoding="utf-8") as fd:
        fd.write(pyrpath)
    if os.path.exists(log):
        os.unlink(log)
    run_logged(["dh_pyrpath_buildpython"], log, src, build_env(CACHE))
    # Where dh_pyrpath_buildpython stages it: debian/.debhelper/pyrpath/<pkg>/stage since the build/binary
    # split (the binary target's dh_pyrpath_install copies it into debian/<pkg>), debian/<pkg> before.
    candidates = [os.path.join(src, "debian", ".debhelper", "pyrpath", package, "stage", "opt", package, "bin",
                               "python3.11"),
                  os.path.join(src, "debian", package, "opt", package, "bin", "python3.11")]
    return next((path for path in candidates if os.path.exists(path)), candidates[0])


def runtime_interpreter(package: str) -> Interpreter:
    """The installed runtime package's CPython, copied and relocated by dh_pyrpath_buildpython (no compile)."""
    log = os.path.join(HERE, "pybench-runtime.build.log")
    print(f"  runtime:{package:<8} dh_pyrpath_buildpython ...", end="", flush=True)
    python = stage_interpreter("pybench-runtime", f"Python-Source: runtime:{package}",
                               f"Python-Source: runtime:{package}\n", log)
    if cpython_seconds(log):
        raise BenchError(f"dh_pyrpath_buildpython compiled CPython instead of copying runtime:{package}; log {log}")
    print(f" copied, configured as {configured_level(python)}", flush=True)
    return Interpreter(RUNTIME, python)


def build_interpreter(level: str) -> Interpreter:
    """Stage a CPython built at this Optimize level (from bench/.cache when built before)."""
    package = package_name(level)
    log = os.path.join(HERE, f"{package}.build.log")
    print(f"  Optimize: {level:<8} dh_pyrpath_buildpython (cache {os.path.relpath(CACHE)}) ...", end="", flush=True)
    python = stage_interpreter(package, f"Optimize: {level}",
                               f"Python-Source: debian:python3.11\nOptimize: {level}\n", log)
    built = cpython_seconds(log)
    if built:
        record_build_time(level, built[0])
    print(f" built in {built[0]:.0f} s" if built else " reused from the cache", flush=True)
    actual = configured_level(python)
    if actual != level:
        raise BenchError(f"the interpreter built with Optimize: {level} was configured as {actual!r} "
                         f"(see its CONFIG_ARGS): dh_pyrpath_buildpython did not apply Optimize; log {log}")
    return Interpreter(level, python, recorded_build_times().get(level))


def ensure_pyperformance() -> str:
    """bench/.venv with the pinned pyperformance installed; its pyperformance command."""
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"  creating {os.path.relpath(VENV)} (python3 -m venv)", flush=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", VENV], check=True)
    wanted = PYPERFORMANCE.split("==")[1]
    probe = f"import importlib.metadata as m; assert m.version('pyperformance') == {wanted!r}"
    if subprocess.run([python, "-c", probe], capture_output=True).returncode != 0:
        print(f"  installing {PYPERFORMANCE} into {os.path.relpath(VENV)}", flush=True)
        subprocess.run([python, "-m", "pip", "install", "-q", PYPERFORMANCE], check=True)
    return os.path.join(VENV, "bin", "pyperformance")


def pyperf_file(label: str, round_number: int) -> str:
    return os.path.join(HERE, "pyperf", f"{label.replace('+', '-')}-round{round_number + 1}.json")


def run_benchmarks(pyperformance: str, interpreters: list[Interpreter], benchmarks: list[str],
                   rounds: int) -> None:
    """Every benchmark on every interpreter, interleaved; one pyperf file per interpreter and round."""
    fresh_dir(os.path.join(HERE, "pyperf"))
    runner_dir = os.path.join(HERE, "pyperformance")  # pyperformance keeps its venvs in ./venv
    os.makedirs(runner_dir, exist_ok=True)
    log = os.path.join(HERE, "pyperformance.log")
    if os.path.exists(log):
        os.unlink(log)
    orders = rotations(interpreters, rounds * len(benchmarks))
    step = 0
    for round_number in range(rounds):
        for benchmark in benchmarks:
            for interp in orders[step]:
                print(f"  round {round_number + 1}/{rounds} {benchmark:<14} {interp.label:<8}", flush=True)
                run_logged([pyperformance, "run", "--fast", "-b", benchmark, "--python", interp.python,
                            "--append", pyperf_file(interp.label, round_number)], log, runner_dir, dict(os.environ))
            step += 1


def median_times(label: str, round_number: int) -> dict[str, float]:
    out = subprocess.run([os.path.join(VENV, "bin", "python"), "-c", MEDIANS, pyperf_file(label, round_number)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def round_ratios(interpreters: list[Interpreter], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per level, per benchmark, per round: Debian's median time / the level's (above 1: faster than Debian's)."""
    ratios: dict[str, dict[str, list[float]]] = {}
    for round_number in range(rounds):
        base = median_times(DEBIAN, round_number)
        for interp in interpreters:
            if interp.label == DEBIAN:
                continue
            times = median_times(interp.label, round_number)
            missing = set(base) ^ set(times)
            if missing:
                raise BenchError(f"benchmarks not run on both {interp.label} and Debian's: {sorted(missing)}")
            for name in sorted(base):
                ratios.setdefault(interp.label, {}).setdefault(name, []).append(base[name] / times[name])
    return ratios


def speed_ratios(per_round: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Per level, per benchmark: the median of the rounds' ratios."""
    return {label: {name: median(values) for name, values in benchmarks.items()}
            for label, benchmarks in per_round.items()}


def checks(ratios: dict[str, dict[str, float]], builds: dict[str, float | None], rounds: int) -> list[Check]:
    results = []
    base_build = builds.get("none")
    for level, per_benchmark in ratios.items():
        built = builds.get(level)
        what = f"geomean of {len(per_benchmark)}, medians of {rounds} rounds"
        detail = f"{what}; build {built:.0f} s" if built else \
            f"{what}; copied from the runtime package" if level == RUNTIME else f"{what}; build time unknown (cached)"
        if built and base_build and level != "none":
            detail += f" = {built / base_build:.2f}x the 'none' build"
        target = TARGETS.get(level)
        name = f"speed of Optimize: {level}" if level in LEVELS else \
            "speed of the runtime package's CPython" if level == RUNTIME else f"speed of {level}"
        results.append(Check(f"{name} / Debian python3.11", geomean(list(per_benchmark.values())),
                             ">=", target, detail))
    return results


def print_table(ratios: dict[str, dict[str, float]]) -> None:
    levels = list(ratios)
    print("\nspeed relative to Debian's python3.11 (Debian's time / level's time; > 1 is faster)")
    print(f"  {'benchmark':<16}" + "".join(f"{level:>10}" for level in levels))
    for name in next(iter(ratios.values())):
        print(f"  {name:<16}" + "".join(f"{ratios[level][name]:>10.3f}" for level in levels))
    print(f"  {'geomean':<16}" + "".join(f"{geomean(list(ratios[level].values())):>10.3f}" for level in levels))


def parse_list(value: str, allowed: tuple[str, ...], what: str, empty: bool = False) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown or not (items or empty):
        raise argparse.ArgumentTypeError(f"{what}: {unknown or value!r}; choose from {', '.join(allowed)}")
    return items


def parse_compare(value: str) -> Interpreter:
    """LABEL=PYTHON: an interpreter to run side by side with the levels."""
    label, _, python = value.partition("=")
    if not label or label in LEVELS or label == DEBIAN or not os.access(python, os.X_OK):
        raise argparse.ArgumentTypeError(f"{value!r}: give LABEL=PYTHON, a new label and an executable interpreter")
    return Interpreter(label, os.path.abspath(python))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=textwrap.dedent(__doc__.split("\n\n", 1)[1]))
    parser.add_argument("--levels", default=",".join(LEVELS),
                        type=lambda v: parse_list(v, LEVELS, "unknown level", empty=True),
                        help="Optimize levels to build (empty: none, with --compare)")
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS),
                        type=lambda v: parse_list(v, BENCHMARKS, "benchmark not in the subset"))
    parser.add_argument("--rounds", type=int, default=3, help="passes over all benchmarks (default 3; medians)")
    parser.add_argument("--compare", action="append", default=[], type=parse_compare, metavar="LABEL=PYTHON",
                        help="also run this built interpreter, side by side (repeatable)")
    parser.add_argument("--runtime-deb", metavar="DEB",
                        help="also run the interpreter of this runtime package (installed for the run); "
                             "results in speed-runtime.json")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: level none, benchmark nbody, results in bench/results/quick")
    args = parser.parse_args(argv)
    levels = ["none"] if args.quick else args.levels
    if not levels and not args.compare and not args.runtime_deb:
        parser.error("--levels is empty: give a level, --compare LABEL=PYTHON or --runtime-deb DEB")
    if args.runtime_deb and not os.path.isfile(args.runtime_deb):
        parser.error(f"--runtime-deb {args.runtime_deb}: no such file (bench/sbuild_time.py builds one)")
    benchmarks = list(QUICK_BENCHMARKS) if args.quick else args.benchmarks
    try:
        warn_if_busy()
        started = now()
        print(f"speed: build {', '.join(levels)}; pyperformance --fast {', '.join(benchmarks)}", flush=True)
        with installed(args.runtime_deb) if args.runtime_deb else contextlib.nullcontext() as runtime:
            interpreters = [Interpreter(DEBIAN, DEBIAN_PYTHON)] + [build_interpreter(level) for level in levels] \
                + args.compare + ([runtime_interpreter(runtime)] if runtime else [])
            pyperformance = ensure_pyperformance()
            rounds = 1 if args.quick else max(1, args.rounds)
            run_benchmarks(pyperformance, interpreters, benchmarks, rounds)
        per_round = round_ratios(interpreters, rounds)
        ratios = speed_ratios(per_round)
        builds = {i.label: i.build_seconds for i in interpreters if i.label != DEBIAN}
        results = checks(ratios, builds, rounds)
    except (BenchError, subprocess.CalledProcessError) as error:
        print(f"speed: error: {error}", file=sys.stderr)
        return 2
    print_table(ratios)
    print_checks("interpreter speed by Optimize level (pyperformance geometric mean)", results)
    name, title = ("speed-runtime", "interpreter speed, runtime package") if args.runtime_deb \
        else ("speed", "interpreter speed")
    save_results(name, title, results,
                 {"levels": levels, "benchmarks": benchmarks, "rounds": rounds, "pyperformance": PYPERFORMANCE,
                  "compare": {i.label: i.python for i in args.compare}, "runtime_deb": args.runtime_deb},
                 {"ratios": ratios, "round_ratios": per_round, "build_seconds": builds, "debian_python": DEBIAN_PYTHON}, args.quick, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

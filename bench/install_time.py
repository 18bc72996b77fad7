#!/usr/bin/python3
"""`dpkg -i` time of examples/hello-service: install-time bytecode, build-time bytecode, dh-virtualenv.

Three packages of the same service, built once each with a warm CPython
cache, then installed with `dpkg -i` and purged, round by round (the order
rotates each round), and the medians of the `dpkg -i` wall-clock times
compared:

- install: dh-pyrpath's default, `Bytecode: install` (the .deb ships no
  .pyc; postinst compiles the package's own .py files on every core);
- build: `Bytecode: build` (the .pyc are compiled at build time and shipped),
  what dh-pyrpath did before;
- venv: the service packaged with Debian's dh-virtualenv
  (bench/dh-virtualenv/hello-service/debian swapped in).

The packages are renamed (`-ibench` suffix, no /usr/bin link or manual
page), so that the benchmark never replaces a hello-service another run of
the tests has installed on a shared machine. Every dpkg run takes the test
suite's machine-wide dpkg lock; the time waiting for it is not counted.

The target (issue 14): install <= 2.0 x venv. build / venv and
install / build are reported for information.

Usage: /usr/bin/python3 bench/install_time.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

from benchlib import (BENCH, WORK, BenchError, Check, build_env, copy_source, deb_sizes, debs_in, dpkg_buildpackage,
                      dpkg_turn, fresh_dir, median, now, print_checks, require_tool, rotations, save_results, warn_if_busy)

EXAMPLE = "hello-service"
VENV_DEBIAN = os.path.join(BENCH, "dh-virtualenv", EXAMPLE, "debian")
KINDS = ("install", "build", "venv")
ORIGINAL = {"install": EXAMPLE, "build": EXAMPLE, "venv": f"{EXAMPLE}-venv"}
SUFFIX = "-ibench"
HERE = os.path.join(WORK, "install_time")


def package_of(kind: str) -> str:
    return ORIGINAL[kind] + SUFFIX


def rename_package(src: str, old: str, new: str) -> None:
    """Rename binary package old to new in a copied source: control, debian/<old>.* files, rules."""
    debian = os.path.join(src, "debian")
    for name in os.listdir(debian):
        if name.startswith(old + ".") and not name.startswith(old + ".manpages"):
            os.rename(os.path.join(debian, name), os.path.join(debian, new + name[len(old):]))
        elif name == old + ".manpages":
            os.unlink(os.path.join(debian, name))  # /usr/share/man/man1/hello-service.1.gz would clash
    for name in ("control", "rules"):
        path = os.path.join(debian, name)
        with open(path, encoding="utf-8") as fd:
            text = fd.read()
        text = text.replace(f"Package: {old}\n", f"Package: {new}\n").replace(f"debian/{old}.", f"debian/{new}.")
        with open(path, "w", encoding="utf-8") as fd:
            fd.write(text)


def set_bytecode(src: str, package: str, mode: str) -> None:
    """Bytecode: <mode>, and no Links (/usr/bin/hello-service would clash with an installed example)."""
    path = os.path.join(src, "debian", f"{package}.pyrpath")
    with open(path, encoding="utf-8") as fd:
        lines = [line for line in fd if not line.lower().startswith("links:")]
    with open(path, "w", encoding="utf-8") as fd:
        fd.writelines(lines + [f"Bytecode: {mode}\n"])


def build(kind: str) -> str:
    """Build the kind's package once (warm cache: the default one); the path of its .deb."""
    top = fresh_dir(os.path.join(HERE, kind))
    package = package_of(kind)
    src = copy_source(EXAMPLE, os.path.join(top, package), debian=VENV_DEBIAN if kind == "venv" else None)
    rename_package(src, ORIGINAL[kind], package)
    if kind != "venv":
        set_bytecode(src, package, kind)
    print(f"  build {kind:<7} ...", end="", flush=True)
    seconds = dpkg_buildpackage(src, os.path.join(HERE, f"{kind}.build.log"), build_env(os.environ.get("DH_PYRPATH_CACHE")))
    print(f" {seconds:6.1f} s", flush=True)
    return debs_in(top)[package]


def dpkg(*args: str) -> float:
    started = time.monotonic()
    result = subprocess.run(["dpkg", *args], capture_output=True, text=True,
                            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError(f"dpkg {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return seconds


def installed(package: str) -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", package], capture_output=True, text=True)
    return status.stdout.strip() not in ("", "not-installed")


def install_once(kind: str, deb: str, number: int) -> dict:
    """dpkg -i, then dpkg --purge, of one package, under the dpkg lock; both times."""
    package = package_of(kind)
    with dpkg_turn():
        if installed(package):
            raise BenchError(f"{package} is already installed: purge it (dpkg --purge {package}) and run again")
        install = dpkg("-i", deb)
        purge = dpkg("--purge", package)
    print(f"  round {number}: {kind:<7} dpkg -i {install:5.2f} s, --purge {purge:5.2f} s", flush=True)
    return {"kind": kind, "round": number, "install_seconds": round(install, 3), "purge_seconds": round(purge, 3)}


def measure(runs: int) -> tuple[dict[str, str], list[dict]]:
    fresh_dir(HERE)
    debs = {kind: build(kind) for kind in KINDS}
    timings = []
    for number, order in enumerate(rotations(KINDS, runs), 1):
        timings += [install_once(kind, debs[kind], number) for kind in order]
    return debs, timings


def checks(debs: dict[str, str], timings: list[dict]) -> list[Check]:
    def of(kind: str, key: str = "install_seconds") -> float:
        return median([t[key] for t in timings if t["kind"] == kind])

    install, build_, venv = (of(kind) for kind in KINDS)
    sizes = {kind: deb_sizes(deb) for kind, deb in debs.items()}
    n = len([t for t in timings if t["kind"] == "venv"])
    return [
        Check("dpkg -i, Bytecode: install / dh-virtualenv", install / venv, "<=", 2.0,
              f"medians of {n}: {install:.2f} s / {venv:.2f} s"),
        Check("dpkg -i, Bytecode: build / dh-virtualenv", build_ / venv, detail=f"{build_:.2f} s / {venv:.2f} s"),
        Check("dpkg -i, Bytecode: install / Bytecode: build", install / build_,
              detail=f"{install:.2f} s / {build_:.2f} s"),
        Check("dpkg --purge, Bytecode: install / dh-virtualenv", of("install", "purge_seconds") / of("venv", "purge_seconds"),
              detail=f"{of('install', 'purge_seconds'):.2f} s / {of('venv', 'purge_seconds'):.2f} s"),
        Check(".deb size, Bytecode: install / Bytecode: build", sizes["install"][0] / sizes["build"][0],
              detail=f"{sizes['install'][0] / 2**20:.1f} MiB / {sizes['build'][0] / 2**20:.1f} MiB"),
        Check("installed size, Bytecode: install / Bytecode: build", sizes["install"][1] / sizes["build"][1],
              detail=f"Installed-Size {sizes['install'][1] / 1024:.1f} MiB / {sizes['build'][1] / 1024:.1f} MiB "
                     "(without the .pyc postinst writes)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="installs of each package (default 3; medians)")
    parser.add_argument("--quick", action="store_true", help="smoke test: --runs 1, results in bench/results/quick")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    if os.geteuid() != 0:
        print("install_time: error: dpkg -i needs root; run it as root", file=sys.stderr)
        return 2
    try:
        require_tool("dh_virtualenv", "dh-virtualenv python3-venv")
        warn_if_busy()
        started = now()
        print(f"install_time: {runs} round(s) of dpkg -i of {EXAMPLE} ({', '.join(KINDS)}), interleaved", flush=True)
        debs, timings = measure(runs)
        results = checks(debs, timings)
    except BenchError as error:
        print(f"install_time: error: {error}", file=sys.stderr)
        return 2
    print_checks(f"dpkg -i of {EXAMPLE}: install-time bytecode, build-time bytecode, dh-virtualenv "
                 f"({runs} round(s))", results)
    save_results("install_time", "dpkg -i time", results, {"runs": runs, "example": EXAMPLE},
                 {"timings": timings, "debs": {k: os.path.basename(v) for k, v in debs.items()}}, args.quick, started)
    shutil.rmtree(HERE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

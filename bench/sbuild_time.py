#!/usr/bin/python3
"""sbuild of a service in a clean chroot, offline: from a runtime package, compiling CPython, and dh-virtualenv.

Three sbuilds of examples/hello-service from the same vendored wheelhouse
(`pyrpath vendor`), in the same clean bookworm chroot (sbuild
--chroot-mode=unshare: the build itself has no network), interleaved round
by round with the order rotating:

- runtime: the service with `Python-Source: runtime:pyrpath-cpython3.11`
  and that package in Build-Depends instead of dh-pyrpath-compile (issue 13):
  dh_pyrpath_buildpython copies and relocates the runtime's tree;
- compile: the service as it is (`Python-Source: debian:python3.11`, the
  CPython source vendored as an orig component): every build compiles
  CPython, which is what a clean chroot did before runtime packages;
- venv: the same service packaged with Debian's dh-virtualenv
  (bench/dh-virtualenv/hello-service/debian), pip installing from the same
  wheelhouse with --no-index.

Each time is sbuild's whole run, as a site's builder sees it: unpacking the
chroot, installing the build dependencies, building, cleaning up. The
targets (issue 13): runtime <= 1.3 x venv; runtime <= 0.5 x compile.

Prepared once and not timed: dh-pyrpath's .debs (from a copy of this
checkout), the runtime package (pyrpath runtime init, Optimize: pgo+lto as
for a site, built with dpkg-buildpackage on the host; its CPython build is
kept in bench/.cache, so only the first run compiles it: 15 to 25 minutes on
2 cores), the chroot tarball (mmdebstrap --variant=buildd, kept in
bench/.cache for a week, or --chroot), and the three vendored sources. The
runtime package is given to sbuild with --extra-package, as a site's apt
repository would give it (tests/integration/test_runtime_workflow.py runs that
workflow with a repository). To vendor the runtime variant, `pyrpath vendor`
reads the installed runtime, so the benchmark installs the runtime package
on the host (under the integration tests' dpkg lock) and purges it after if
it was not installed before. Its interpreter is what bench/speed.py --runtime
measures. Results: bench/results/sbuild_time.json.

Usage: /usr/bin/python3 bench/sbuild_time.py [--runs N] [--chroot TARBALL] [--quick]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

from benchlib import (BENCH, ROOT, WORK, BenchError, Check, build_env, copy_source, debs_in, fresh_dir, installed,
                      median, now, print_checks, require_tool, rotations, run_logged, save_results, tool,
                      warn_if_busy)

EXAMPLE = "hello-service"
VERSION = "1.0.0"
RUNTIME = "pyrpath-cpython3.11"
RUNTIME_VERSION = "3.11.2-1"
MAINTAINER = "dh-pyrpath benchmarks <bench@example.org>"
KINDS = ("runtime", "compile", "venv")
VS_VENV, VS_COMPILE = 1.3, 0.5  # the targets: runtime / venv, runtime / compile
HERE = os.path.join(WORK, "sbuild_time")
CACHE = os.path.join(BENCH, ".cache")  # kept between runs, as bench/speed.py keeps its builds
CHROOT_MAX_AGE = 7 * 24 * 3600
COMPILE_MARK = "dh_pyrpath_buildpython: configure CPython"
RUNTIME_MARK = f"dh_pyrpath_buildpython: using runtime {RUNTIME}"


def host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def log_path(name: str) -> str:
    return os.path.join(HERE, f"{name}.log")


# --- preparation (not timed) ---------------------------------------------------------------------

def chroot_tarball(given: str | None) -> str:
    """The clean bookworm chroot: the one given, else bench/.cache's, made with mmdebstrap when missing or old."""
    if given:
        if not os.path.isfile(given):
            raise BenchError(f"--chroot {given}: no such file; omit it to make one with mmdebstrap")
        return given
    path = os.path.join(CACHE, f"bookworm-{host_arch()}.tar.zst")
    if os.path.isfile(path) and time.time() - os.path.getmtime(path) < CHROOT_MAX_AGE:
        return path
    os.makedirs(CACHE, exist_ok=True)
    print(f"  chroot: mmdebstrap --variant=buildd bookworm {os.path.relpath(path)} ...", flush=True)
    partial = path + ".part.tar.zst"
    run_logged(["mmdebstrap", "--variant=buildd", "--quiet", "bookworm", partial], log_path("mmdebstrap"), HERE,
               dict(os.environ))
    os.replace(partial, path)
    return path


def tool_debs() -> list[str]:
    """dh-pyrpath and dh-pyrpath-compile built from a copy of this checkout (its tests skipped)."""
    top = fresh_dir(os.path.join(HERE, "tool"))
    tree = os.path.join(top, "dh-pyrpath")
    os.makedirs(tree)
    pack = subprocess.Popen(["tar", "--exclude=./build", "--exclude=./.git", "--exclude=./bench/.work",
                             "--exclude=./bench/.cache", "--exclude=./bench/.venv", "-cf", "-", "."],
                            cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-xf", "-"], cwd=tree, stdin=pack.stdout, check=True)
    if pack.wait() != 0:
        raise BenchError("copying the checkout for dh-pyrpath's .deb failed")
    print("  dh-pyrpath's .debs: dpkg-buildpackage of this checkout ...", flush=True)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck")
    run_logged(["dpkg-buildpackage", "-b", "-us", "-uc"], log_path("tool"), tree, env)
    debs = debs_in(top)
    missing = {"dh-pyrpath", "dh-pyrpath-compile"} - set(debs)
    if missing:
        raise BenchError(f"dpkg-buildpackage of the checkout gave no {', '.join(sorted(missing))}; log {log_path('tool')}")
    return [debs["dh-pyrpath"], debs["dh-pyrpath-compile"]]


def runtime_deb_path() -> str:
    return os.path.join(HERE, "runtime", f"{RUNTIME}_{RUNTIME_VERSION}_{host_arch()}.deb")


def runtime_deb() -> str:
    """The runtime package, Optimize: pgo+lto, built on the host; its CPython build kept in bench/.cache."""
    top = os.path.join(HERE, "runtime")
    deb = runtime_deb_path()
    tree = os.path.join(top, f"{RUNTIME}-3.11.2")
    env = build_env(CACHE, {"DEBEMAIL": "", "DEBFULLNAME": ""})
    if not os.path.isdir(tree):
        shutil.rmtree(top, ignore_errors=True)
        run_logged(["pyrpath", "runtime", "init", top, "--python", "debian:python3.11", "--maintainer", MAINTAINER,
                    "--distribution", "bookworm"], log_path("runtime-init"), HERE, env)
    if not os.path.isfile(deb):
        print(f"  runtime: dpkg-buildpackage of {RUNTIME} (pgo+lto; cache {os.path.relpath(CACHE)}) ...",
              end="", flush=True)
        seconds = run_logged(["dpkg-buildpackage", "-b", "-us", "-uc", "-d"], log_path("runtime-build"), tree, env)
        print(f" {seconds:.0f} s", flush=True)
    return deb


def vendored(kind: str) -> str:
    """A source package of the service for this kind of build, its wheelhouse vendored; its .dsc."""
    top = fresh_dir(os.path.join(HERE, f"src-{kind}"))
    package = f"{EXAMPLE}-venv" if kind == "venv" else EXAMPLE
    tree = copy_source(EXAMPLE, os.path.join(top, package))
    if kind == "runtime":
        edit(os.path.join(tree, "debian", f"{EXAMPLE}.pyrpath"), "Python-Source: debian:python3.11",
             f"Python-Source: runtime:{RUNTIME}")
        edit(os.path.join(tree, "debian", "control"), "dh-pyrpath-compile", RUNTIME)
    env = build_env(None)
    run_logged(["pyrpath", "vendor"], log_path(f"vendor-{kind}"), tree, env)
    if kind == "venv":
        venv_source(tree, top)
    run_logged(["dpkg-source", "-b", package], log_path(f"vendor-{kind}"), top, env)
    dsc = glob.glob(os.path.join(top, "*.dsc"))
    if len(dsc) != 1:
        raise BenchError(f"dpkg-source -b in {top} gave {len(dsc)} .dsc files; log {log_path(f'vendor-{kind}')}")
    return dsc[0]


def edit(path: str, old: str, new: str) -> None:
    with open(path, encoding="utf-8") as fd:
        text = fd.read()
    if old not in text:
        raise BenchError(f"{path} has no {old!r} to change: has examples/{EXAMPLE} changed?")
    with open(path, "w", encoding="utf-8") as fd:
        fd.write(text.replace(old, new))


VENV_RULES = """\
#!/usr/bin/make -f

%:
\tdh $@ --with python-virtualenv

# python3 -m venv (python3-venv); the pins of the dh-pyrpath example, from the
# vendored wheelhouse only (the build has no network).
override_dh_virtualenv:
\tdh_virtualenv --builtin-venv --python /usr/bin/python3 \\
\t\t--requirements debian/hello-service-venv.requirements.txt \\
\t\t--extra-pip-arg --no-index --extra-pip-arg --find-links=$(CURDIR)/wheels
"""


def venv_source(tree: str, top: str) -> None:
    """The vendored tree with dh-virtualenv's debian/ instead (wheels/ kept), orig tarballs renamed to match."""
    debian = os.path.join(tree, "debian")
    shutil.rmtree(debian)
    shutil.copytree(os.path.join(BENCH, "dh-virtualenv", EXAMPLE, "debian"), debian)
    with open(os.path.join(debian, "rules"), "w", encoding="utf-8") as fd:
        fd.write(VENV_RULES)
    os.chmod(os.path.join(debian, "rules"), 0o755)
    version = subprocess.run(["dpkg-parsechangelog", "-SVersion"], cwd=tree, check=True, capture_output=True,
                             text=True).stdout.strip()
    upstream = version.rsplit("-", 1)[0]
    shutil.rmtree(os.path.join(tree, "cpython"), ignore_errors=True)
    for orig in glob.glob(os.path.join(top, f"{EXAMPLE}_*.orig*.tar.*")):
        name = os.path.basename(orig)
        if "orig-cpython" in name:
            os.unlink(orig)
            continue
        suffix = name.split(".orig", 1)[1]
        os.rename(orig, os.path.join(top, f"{EXAMPLE}-venv_{upstream}.orig{suffix}"))


# --- the measured builds --------------------------------------------------------------------------

def sbuild(kind: str, number: int, dsc: str, chroot: str, extra: list[str]) -> dict:
    """One sbuild of the kind; its wall-clock time. sbuild's log is kept as NN-<kind>.log, the rest removed."""
    out = fresh_dir(os.path.join(HERE, f"{number:02d}-{kind}"))
    log = os.path.join(HERE, f"{number:02d}-{kind}.log")
    if os.path.exists(log):
        os.unlink(log)
    argv = ["sbuild", "--chroot-mode=unshare", f"--chroot={chroot}", "--dist=bookworm", "--no-run-lintian",
            "--no-run-autopkgtest", "--no-run-piuparts", "--no-apt-upgrade", f"--build-dir={out}",
            *(f"--extra-package={deb}" for deb in extra), dsc]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))}
    print(f"  sbuild {number:2d}: {kind:<7} ...", end="", flush=True)
    seconds = run_logged(argv, log, HERE, env)
    # sbuild writes its log there (NAME_VERSION_ARCH-TIME.build and a symlink to it), not on stdout
    build_logs = sorted({os.path.realpath(path) for path in glob.glob(os.path.join(out, "*.build"))})
    if len(build_logs) != 1:
        raise BenchError(f"sbuild left {len(build_logs)} .build logs in {out}; its output: {log}")
    shutil.copy(build_logs[0], log)
    with open(log, encoding="utf-8", errors="replace") as fd:
        text = fd.read()
    check_log(kind, text, log)
    debs = debs_in(out)
    print(f" {seconds:7.1f} s", flush=True)
    shutil.rmtree(out)
    return {"kind": kind, "seconds": round(seconds, 2), "packages": sorted(debs), "log": os.path.relpath(log)}


def check_log(kind: str, text: str, log: str) -> None:
    """Each kind did what it stands for: no compile from the runtime, a compile otherwise, pip offline."""
    if kind == "runtime" and (COMPILE_MARK in text or RUNTIME_MARK not in text):
        raise BenchError(f"the runtime build did not take its CPython from {RUNTIME}; log {log}")
    if kind == "compile" and COMPILE_MARK not in text:
        raise BenchError(f"the compile build did not compile CPython; log {log}")
    if kind == "venv" and not re.search(r"dh_virtualenv", text):
        raise BenchError(f"the dh-virtualenv build did not run dh_virtualenv; log {log}")


def measure(runs: int, chroot: str) -> tuple[list[dict], dict]:
    tools = tool_debs()
    runtime = runtime_deb()
    with installed(runtime):
        dscs = {kind: vendored(kind) for kind in KINDS}
    extra = {"runtime": tools + [runtime], "compile": tools, "venv": []}
    builds = []
    for number, kind in enumerate((k for kinds in rotations(KINDS, runs) for k in kinds), 1):
        builds.append(sbuild(kind, number, dscs[kind], chroot, extra[kind]))
    prepared = {"runtime_deb": os.path.relpath(runtime), "chroot": chroot,
                "runtime_build_log": os.path.relpath(log_path("runtime-build"))}
    return builds, prepared


def checks(builds: list[dict]) -> list[Check]:
    times = {kind: median([b["seconds"] for b in builds if b["kind"] == kind]) for kind in KINDS}
    n = len([b for b in builds if b["kind"] == "venv"])
    runtime, compiled, venv = times["runtime"], times["compile"], times["venv"]
    return [
        Check("sbuild from a runtime package / dh-virtualenv sbuild", runtime / venv, "<=", VS_VENV,
              f"medians of {n}: {runtime:.0f} s / {venv:.0f} s"),
        Check("sbuild from a runtime package / sbuild compiling CPython", runtime / compiled, "<=", VS_COMPILE,
              f"medians of {n}: {runtime:.0f} s / {compiled:.0f} s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="sbuilds of each kind (default 3; medians)")
    parser.add_argument("--chroot", help="a bookworm chroot tarball for sbuild's unshare mode "
                                         "(default: bench/.cache/bookworm-<arch>.tar.zst, made when missing)")
    parser.add_argument("--quick", action="store_true", help="smoke test: --runs 1, results in bench/results/quick")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    try:
        for name, package in (("sbuild", "sbuild"), ("mmdebstrap", "mmdebstrap"), ("newuidmap", "uidmap"),
                              ("dh_virtualenv", "dh-virtualenv")):
            require_tool(name, package)
        if os.geteuid() != 0:
            raise BenchError("run it as root: it installs the runtime package on the host to vendor against it")
        warn_if_busy()
        started = now()
        os.makedirs(HERE, exist_ok=True)
        tool()
        print(f"sbuild_time: {runs} sbuild(s) each of {', '.join(KINDS)} for {EXAMPLE}, interleaved", flush=True)
        chroot = chroot_tarball(args.chroot)
        builds, prepared = measure(runs, chroot)
        results = checks(builds)
    except BenchError as error:
        print(f"sbuild_time: error: {error}", file=sys.stderr)
        return 2
    print_checks(f"sbuild of {EXAMPLE}, offline: runtime package vs compiling CPython vs dh-virtualenv "
                 f"({runs} run(s) each)", results)
    save_results("sbuild_time", "sbuild, runtime package", results, {"runs": runs, "example": EXAMPLE},
                 {"builds": builds, **prepared}, args.quick, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

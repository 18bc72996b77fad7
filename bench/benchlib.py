"""Shared helpers of the dh-pyrpath benchmarks: builds, timings, ratios and result files.

Every benchmark compares things measured side by side in the same run and
reports ratios (never an absolute time alone): the machines are noisy.
Builds use this checkout's dh-pyrpath (debhelper/ on PATH, perl5/ on
PERL5LIB), not an installed copy, so the figures describe the work tree:
a copy of it taken when the benchmark starts (see tool()).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import fcntl
import glob
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, Sequence, TypeVar

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
EXAMPLES = os.path.join(ROOT, "examples")
SERVICES = os.path.join(BENCH, "services")  # bench-only fixtures (bench/services/<name>), found like examples/<name>
WORK = os.path.join(BENCH, ".work")  # scratch: build trees, logs, pyperf files
RESULTS = os.path.join(BENCH, "results")
QUICK_RESULTS = os.path.join(RESULTS, "quick")
DEBIAN_PYTHON = "/usr/bin/python3.11"
BUILT_LINE = re.compile(r"dh_pyrpath_buildpython: built CPython (\S+) in (\d+(?:\.\d+)?) s")
ORDER = ("build_time", "install_time", "sbuild_time", "speed", "startup", "n_services")  # the benchmark scripts, in run order
# The result files in latest.md, in this order: build_time.py writes one per --example (build_time-<example>
# for any but hello-service).
RESULT_NAMES = ("build_time", "build_time-api-service", "install_time", "sbuild_time", "speed", "speed-runtime", "startup",
                "n_services")

T = TypeVar("T")
LOAD_AT_START = os.getloadavg()[0]
DPKG_LOCK = "/tmp/dh-pyrpath-tests-dpkg.lock"  # tests/integration/debs.py's machine-wide dpkg lock


class BenchError(Exception):
    """A benchmark cannot run or measure; the message says why and what to do."""


@dataclass(frozen=True)
class Check:
    """One ratio and its target; limit None means measured for information only."""

    measure: str
    ratio: float | None
    op: str = "<="
    limit: float | None = None
    detail: str = ""

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a"
        if self.limit is None:
            return "info"
        ok = self.ratio <= self.limit if self.op == "<=" else self.ratio >= self.limit
        return "PASS" if ok else "MISS"

    @property
    def target(self) -> str:
        return "-" if self.limit is None else f"{self.op} {self.limit:.2f}x"

    def line(self) -> str:
        ratio = "n/a" if self.ratio is None else f"{self.ratio:.3f}x"
        target = "no target" if self.limit is None else f"target {self.target}"
        return f"  {self.verdict:<4}  {self.measure}: {ratio} ({target})  {self.detail}".rstrip()


# --- numbers -----------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("no measurement to take a median of")
    return statistics.median(values)


def geomean(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("no ratio to take a geometric mean of")
    return math.exp(statistics.fmean(math.log(v) for v in values))


def rotations(items: Sequence[T], rounds: int) -> list[list[T]]:
    """One order per round, each rotated by one: every item runs early and late alike."""
    return [list(items[r % len(items):]) + list(items[:r % len(items)]) for r in range(rounds)]


# --- builds ------------------------------------------------------------------------------------

def jobs() -> int:
    return os.cpu_count() or 1


TOOL_PARTS = ("debhelper", "dh_pyrpath", "perl5")
_snapshot: dict[str, str] = {}


def tool() -> dict[str, str]:
    """A copy of this checkout's dh-pyrpath, taken once per run, that every build of the run uses.

    The work tree may change while a benchmark runs (hours); the copy keeps
    all of its builds on one version. Returns where it is, the commit and a
    digest of the files copied (recorded with the results).
    """
    if not _snapshot:
        copy = fresh_dir(os.path.join(WORK, "tool", str(os.getpid())))
        atexit.register(shutil.rmtree, copy, True)
        digest = hashlib.sha256()
        for part in TOOL_PARTS:
            shutil.copytree(os.path.join(ROOT, part), os.path.join(copy, part),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pod"))
            for folder, dirs, files in sorted(os.walk(os.path.join(copy, part))):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, copy).encode() + b"\0")
                    with open(path, "rb") as fd:
                        digest.update(fd.read())
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        _snapshot.update(path=copy, commit=commit.strip() or "unknown", files_sha256=digest.hexdigest()[:16])
    return _snapshot


def build_env(cache: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a build with the run's copy of dh-pyrpath; the cache given, all cores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))}
    env["PATH"] = os.path.join(tool()["path"], "debhelper") + ":" + env.get("PATH", "/usr/bin:/bin")
    env["PERL5LIB"] = os.path.join(tool()["path"], "perl5")
    env["DEB_BUILD_OPTIONS"] = f"parallel={jobs()}"
    env["LC_ALL"] = "C.UTF-8"
    if cache is not None:
        env["DH_PYRPATH_CACHE"] = cache
    env.update(extra or {})
    return env


def fresh_dir(path: str) -> str:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def example_dir(example: str) -> str:
    """examples/<example>, else the bench-only fixture bench/services/<example>."""
    for top in (EXAMPLES, SERVICES):
        if os.path.isdir(os.path.join(top, example, "debian")):
            return os.path.join(top, example)
    raise BenchError(f"no service {example!r} in examples/ or bench/services/")


def copy_source(example: str, dest: str, debian: str | None = None) -> str:
    """Copy examples/<example> (or bench/services/<example>) to dest; with debian, that debian/ replaces its own."""
    ignore = shutil.ignore_patterns("debian") if debian else None
    shutil.copytree(example_dir(example), dest, ignore=ignore)
    if debian:
        shutil.copytree(debian, os.path.join(dest, "debian"))
    return dest


def log_tail(log: str, lines: int = 30) -> str:
    with open(log, encoding="utf-8", errors="replace") as fd:
        return "".join(fd.readlines()[-lines:])


def run_logged(argv: list[str], log: str, cwd: str, env: dict[str, str], stamp: bool = False) -> float:
    """Run argv with its output appended to log; the wall-clock seconds it took.

    With stamp, every line of the log starts with the time it was read (Unix seconds, like moreutils'
    `ts '%.s'`), for profile_build.py: debhelper prints each command before it runs it, and Perl
    flushes its output before forking, so the time between two command lines is the first one's.
    """
    started = time.monotonic()
    with open(log, "ab") as out:
        if not stamp:
            returncode = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL).returncode
        else:
            with subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL) as child:
                assert child.stdout is not None
                for line in iter(child.stdout.readline, b""):
                    out.write(b"%.3f " % time.time() + line)
                    out.flush()  # the log can be followed while the build runs
            returncode = child.returncode
    seconds = time.monotonic() - started
    if returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({returncode}) in {cwd}; log {log}:\n{log_tail(log)}")
    return seconds


def dpkg_buildpackage(src: str, log: str, env: dict[str, str]) -> float:
    """dpkg-buildpackage -b in src (-d: this checkout's dh-pyrpath need not be installed); a timestamped log."""
    return run_logged(["dpkg-buildpackage", "-b", "-us", "-uc", "-d"], log, src, env, stamp=True)


def debs_in(directory: str) -> dict[str, str]:
    """The .deb files of a directory by package name (dbgsym packages left out)."""
    found = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(directory, "*.deb"))}
    return {name: path for name, path in found.items() if not name.endswith("-dbgsym")}


def deb_sizes(deb: str) -> tuple[int, int]:
    """(file size in bytes, Installed-Size in KiB) of a .deb."""
    field = subprocess.run(["dpkg-deb", "-f", deb, "Installed-Size"], check=True, capture_output=True,
                           text=True).stdout.strip()
    return os.path.getsize(deb), int(field)


def cpython_seconds(log: str) -> list[float]:
    """The 'built CPython ... in N s' times of a build log, one per CPython compiled."""
    with open(log, encoding="utf-8", errors="replace") as fd:
        return [float(m.group(2)) for m in BUILT_LINE.finditer(fd.read())]


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BenchError(f"{name} not found: apt-get install {package} (make bench installs it)")
    return path


def installed_version(package: str) -> str | None:
    result = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", package],
                            capture_output=True, text=True)
    status, _, version = result.stdout.partition(" ")
    return version if result.returncode == 0 and status == "installed" else None


@contextlib.contextmanager
def dpkg_turn() -> Iterator[None]:
    """Inside, the integration tests' dpkg lock is ours (a test run may share the machine)."""
    with open(DPKG_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def dpkg_locked(*args: str) -> None:
    """dpkg with these arguments, in our turn."""
    with dpkg_turn():
        result = subprocess.run(["dpkg", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"dpkg {' '.join(args)} failed: {(result.stdout + result.stderr)[-2000:]}")


@contextlib.contextmanager
def installed(deb: str) -> Iterator[str]:
    """The .deb installed on the host while inside (purged after unless it was installed before); its package."""
    field = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version"], check=True, capture_output=True,
                           text=True).stdout
    values = dict(line.split(": ", 1) for line in field.splitlines() if ": " in line)
    package, version = values["Package"], values["Version"]
    before = installed_version(package)
    if before != version:
        dpkg_locked("-i", deb)
    try:
        yield package
    finally:
        if before is None:
            dpkg_locked("--purge", package)


# --- results -----------------------------------------------------------------------------------

def machine() -> dict[str, object]:
    """What the figures were measured on, and how busy it was at the start."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fd:
            model = next((line.split(":", 1)[1].strip() for line in fd if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        with open("/etc/debian_version", encoding="utf-8") as fd:
            debian = fd.read().strip()
    except OSError:
        debian = "unknown"
    return {"cpu": model, "cores": jobs(), "kernel": platform.release(), "debian": debian,
            "loadavg_at_start": round(LOAD_AT_START, 2), "loadavg_at_end": round(os.getloadavg()[0], 2)}


def warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > 0.5 * jobs():
        print(f"note: load average {load:.1f} on {jobs()} cores; ratios are side by side, "
              "but a busy machine widens their spread", flush=True)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_checks(title: str, checks: Iterable[Check]) -> None:
    print(f"\n== {title}")
    for check in checks:
        print(check.line())


def save_results(name: str, title: str, checks: list[Check], settings: dict, raw: dict, quick: bool,
                 started: str) -> str:
    """Write <results>/<name>.json and refresh latest.md beside it; the JSON path."""
    directory = QUICK_RESULTS if quick else RESULTS
    os.makedirs(directory, exist_ok=True)
    document = {
        "name": name,
        "title": title,
        "date": started,
        "finished": now(),
        "quick": quick,
        "machine": machine(),
        "dh_pyrpath": {k: v for k, v in _snapshot.items() if k != "path"},
        "settings": settings,
        "checks": [dict(asdict(c), verdict=c.verdict, target=c.target) for c in checks],
        "raw": raw,
    }
    path = os.path.join(directory, f"{name}.json")
    with open(path, "w", encoding="utf-8") as fd:
        json.dump(document, fd, indent=1, sort_keys=False)
        fd.write("\n")
    write_markdown(directory)
    print(f"\nresults: {os.path.relpath(path)}, {os.path.relpath(os.path.join(directory, 'latest.md'))}")
    return path


def load_results(directory: str) -> list[dict]:
    documents = []
    for name in RESULT_NAMES:
        path = os.path.join(directory, f"{name}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fd:
                documents.append(json.load(fd))
    return documents


def markdown(documents: list[dict]) -> str:
    """The Markdown table of every result file, with the date each was measured."""
    lines = ["# dh-pyrpath benchmarks", ""]
    if not documents:
        return "\n".join(lines + ["No results yet: run `make bench`.", ""])
    hosts = {(d["machine"]["cpu"], d["machine"]["cores"], d["machine"]["debian"]) for d in documents}
    for cpu, cores, debian in sorted(hosts):
        lines.append(f"Measured on {cpu}, {cores} cores, Debian {debian}.")
    if any(d.get("quick") for d in documents):
        lines.append("**Quick (smoke-test) run: reduced inputs, not figures to quote.**")
    lines += ["Ratios of runs measured side by side in the same run (see bench/README.md).", "",
              "| benchmark | measured | measure | ratio | target | result |",
              "|---|---|---|---|---|---|"]
    for doc in documents:
        for check in doc["checks"]:
            ratio = "n/a" if check["ratio"] is None else f"{check['ratio']:.2f}x"
            measure = check["measure"] + (f" ({check['detail']})" if check["detail"] else "")
            lines.append(f"| {doc['title']} | {doc['date'][:10]} | {measure} | {ratio} | "
                         f"{check['target']} | {check['verdict']} |")
    return "\n".join(lines + [""])


def write_markdown(directory: str) -> str:
    path = os.path.join(directory, "latest.md")
    with open(path, "w", encoding="utf-8") as fd:
        fd.write(markdown(load_results(directory)))
    return path

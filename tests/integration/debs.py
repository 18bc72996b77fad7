"""Build the examples with real dpkg-buildpackage; install and purge with real dpkg.

Every example is built once per test session; CPython builds are shared
through dh-pyrpath's own cache (~/.cache/dh-pyrpath, or DH_PYRPATH_CACHE),
so a second run on the same machine compiles nothing.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXAMPLES = os.path.join(ROOT, "examples")


def tool_is_installed() -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "dh-pyrpath"], capture_output=True, text=True)
    return result.stdout.endswith("installed")


def build_env() -> tuple[dict[str, str], list[str]]:
    """The environment for dpkg-buildpackage: the installed tool, else this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))}
    if "DH_PYRPATH_CACHE" in os.environ:
        env["DH_PYRPATH_CACHE"] = os.environ["DH_PYRPATH_CACHE"]
    if tool_is_installed():
        return env, []
    env["PATH"] = os.path.join(ROOT, "debhelper") + ":" + env["PATH"]
    env["PERL5LIB"] = os.path.join(ROOT, "perl5")
    return env, ["-d"]  # dh-sequence-pyrpath is not installed: skip the build-dep check


@dataclass(frozen=True)
class Built:
    """An example built with dpkg-buildpackage."""

    source_dir: str
    debs: dict[str, str]
    log: str
    seconds: float


# Seconds each source tree took to build in this test session, for the summary at the end.
BUILD_TIMES: dict[str, float] = {}


def build_example(name: str, workdir: str, examples: str = EXAMPLES) -> Built:
    src = os.path.join(workdir, name)
    shutil.copytree(os.path.join(examples, name), src)
    return build_tree(src, name, workdir)


def build_tree(src: str, name: str, workdir: str) -> Built:
    """dpkg-buildpackage -b of the source tree src; the .debs land in workdir (its parent)."""
    env, extra = build_env()
    log = os.path.join(workdir, f"{name}.build.log")
    started = time.monotonic()
    with open(log, "wb") as out:
        result = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc", *extra], cwd=src, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    BUILD_TIMES[name] = seconds
    if result.returncode != 0:
        with open(log, encoding="utf-8", errors="replace") as fd:
            tail = "".join(fd.readlines()[-40:])
        pytest.fail(f"dpkg-buildpackage of {name} failed ({result.returncode}); log {log}:\n{tail}")
    debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(workdir, "*.deb"))}
    return Built(src, debs, log, seconds)


@contextmanager
def dpkg_turn() -> Iterator[None]:
    """One dpkg run at a time among the test runs of this machine (dpkg itself fails, not waits, when locked)."""
    with open("/tmp/dh-pyrpath-tests-dpkg.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def dpkg(*args: str, wait: float = 600) -> subprocess.CompletedProcess:
    """dpkg with args; while apt or dpkg outside the tests holds the lock, try again (dpkg does not wait)."""
    deadline = time.monotonic() + wait
    with dpkg_turn():
        while True:
            result = subprocess.run(["dpkg", *args], capture_output=True, text=True,
                                    env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            if "locked by another process" not in result.stderr or time.monotonic() > deadline:
                return result
            time.sleep(2)


def dpkg_install(*debs: str) -> None:
    result = dpkg("-i", *debs)
    assert result.returncode == 0, result.stdout + result.stderr


def dpkg_purge(*packages: str) -> None:
    dpkg("--purge", *packages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(argv: list[str]) -> Iterator[subprocess.Popen]:
    """A server process for the duration of the block, terminated afterwards."""
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


def http_get(server: subprocess.Popen, url: str, seconds: float = 30) -> str:
    """GET url from a starting server, retrying until it answers or exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            assert server.poll() is None, server.stdout.read().decode()
            assert time.monotonic() < deadline, f"{url} did not answer within {seconds} s"
            time.sleep(0.2)


# Run by an installed interpreter: import what a service uses, report where it came from.
PROBE = """
import json, sys, ssl, sqlite3, ctypes, decimal
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps({
    "path": sys.path,
    "outside": sorted(m.__file__ for m in list(sys.modules.values())
                      if getattr(m, "__file__", None) and not m.__file__.startswith(sys.prefix + "/")),
    "prefix": sys.prefix,
    "json": json.__file__,
    "files": {name: sys.modules[name].__file__ for name in sys.argv[1:]},
    "libpython": sorted({l.split()[-1] for l in open("/proc/self/maps") if "libpython" in l}),
}))
"""


def probe(python: str, *modules: str) -> dict:
    """What an installed interpreter loads, importing modules too (see PROBE)."""
    out = subprocess.run([python, "-I", "-c", PROBE, *modules], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def dynamic_section(path: str) -> dict[str, list[str]]:
    """readelf -d of an ELF file: NEEDED and RUNPATH/RPATH values."""
    out = subprocess.run(["readelf", "-d", path], check=True, capture_output=True, text=True).stdout
    entries: dict[str, list[str]] = {}
    for line in out.splitlines():
        if "(NEEDED)" in line or "(RUNPATH)" in line or "(RPATH)" in line:
            tag = line.split("(")[1].split(")")[0]
            entries.setdefault(tag, []).append(line.rsplit("[", 1)[1].rstrip("]"))
    return entries


def assert_isolated(python: str, prefix: str, version: str, *modules: str) -> dict:
    """sys.path and every loaded module of python are under prefix; it maps no libpython at all.

    The interpreter is linked with the core (as Debian's is); the prefix still
    ships libpython, with a RUNPATH to its own lib/, for programs that embed Python.
    """
    report = probe(python, *modules)
    assert report["prefix"] == prefix
    assert report["path"] and all(p.startswith(prefix + "/") for p in report["path"]), report["path"]
    assert report["outside"] == []
    assert report["json"] == f"{prefix}/lib/python{version}/json/__init__.py"
    assert report["libpython"] == []
    assert not [n for n in dynamic_section(python).get("NEEDED", []) if n.startswith("libpython")]
    assert dynamic_section(f"{prefix}/lib/libpython{version}.so.1.0")["RUNPATH"] == ["$ORIGIN/../lib"]
    return report

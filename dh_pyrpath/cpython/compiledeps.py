"""What compiling CPython needs installed: the metapackage dh-pyrpath-compile, checked before a compile.

dh-pyrpath itself no longer depends on a compiler and CPython's -dev
packages: a service built from a runtime package (Python-Source:
runtime:<name>) needs none of them.  Sources that compile CPython (the
runtime package, or a service with Python-Source: debian:python3.X, a
tarball, a directory, an https URL) Build-Depend on dh-pyrpath-compile,
whose Depends are COMPILE_DEPENDS (tests/unit/test_runtime.py checks that
debian/control says the same).
"""

from __future__ import annotations

import subprocess

METAPACKAGE = "dh-pyrpath-compile"
# build-essential and pkg-config, plus the -dev package of every library a required stdlib module links.
COMPILE_DEPENDS = ("build-essential", "pkg-config", "libbz2-dev", "libexpat1-dev", "libffi-dev",
                   "libgdbm-compat-dev", "libgdbm-dev", "liblzma-dev", "libncurses-dev", "libreadline-dev",
                   "libsqlite3-dev", "libssl-dev", "uuid-dev", "zlib1g-dev")


def missing_packages(packages: tuple[str, ...] = COMPILE_DEPENDS) -> list[str]:
    """The packages dpkg does not have installed (for any architecture)."""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    installed = {line.split()[0].split(":")[0] for line in result.stdout.splitlines()
                 if line.split()[1:] == ["installed"]}
    return [p for p in packages if p not in installed]


def compile_needs(missing: list[str]) -> str | None:
    """The error text when packages a compile needs are missing, or None."""
    if not missing:
        return None
    return (f"compiling CPython needs {', '.join(missing)}, not installed; add {METAPACKAGE} to Build-Depends "
            "(or use a prebuilt runtime package: Python-Source: runtime:pyrpath-cpython3.X, see pyrpath(1))")

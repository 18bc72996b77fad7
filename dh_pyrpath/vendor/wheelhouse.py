"""Fill a wheelhouse with what a package's pins need on a target CPython, for offline builds.

pip download runs with the host's pip configuration (mirrors) but asks
for the *target's* tags (CPython version, ABI, manylinux level of the host
glibc, machine), so a wheelhouse for CPython 3.13 can be made on a host
whose python3 is 3.11.  When every pin has a wheel, pip resolves the
dependencies too; when one has only an sdist, the pins are fetched one by
one and must then be complete.  sdists and the project itself also need
their build requirements, which are fetched as wheels.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from dh_pyrpath.contract.runner import show_tail
from dh_pyrpath.contract.runner import run
from dh_pyrpath.deps.requirements import Pin, validate_requirement_files
from dh_pyrpath.errors import PyrpathError

# Debian architecture -> the machine part of a wheel's platform tag.
MACHINES = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "armhf": "armv7l",
            "ppc64el": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
# What pip builds a project with when it has no [build-system] table.
LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0", "wheel")
_SDIST = re.compile(r"\.(tar\.gz|zip)$")


@dataclass(frozen=True)
class Target:
    """The interpreter and platform the wheels are for."""

    version: tuple[int, int, int]
    machine: str
    glibc: tuple[int, int]

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def platforms(self) -> list[str]:
        """manylinux tags the target's glibc runs, newest first (legacy aliases included)."""
        major, minor = self.glibc
        tags = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 4, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        tags += [f"{name}_{self.machine}" for floor, name in legacy.items() if minor >= floor]
        return tags

    def pip_options(self) -> list[str]:
        abi = f"cp{self.version[0]}{self.version[1]}"
        options = ["--python-version", self.short_version, "--implementation", "cp",
                   "--abi", abi, "--abi", "abi3", "--abi", "none"]
        for platform in self.platforms():
            options += ["--platform", platform]
        return options

    def marker_environment(self) -> dict[str, str]:
        env = dict(default_environment())
        env.update(python_version=self.short_version, python_full_version=".".join(map(str, self.version)),
                   implementation_name="cpython", platform_python_implementation="CPython",
                   platform_machine=self.machine, sys_platform="linux", platform_system="Linux", os_name="posix")
        return env


def host_target(version: tuple[int, int, int], debian_arch: str) -> Target:
    """The target for this host's architecture and C library."""
    libc = (os.confstr("CS_GNU_LIBC_VERSION") or "glibc 2.17").split()[-1]
    major, minor = (int(x) for x in libc.split(".")[:2])
    return Target(version, MACHINES.get(debian_arch, os.uname().machine), (major, minor))


def require_pip() -> None:
    if importlib.util.find_spec("pip") is None:
        raise PyrpathError(f"pip is not available to {sys.executable}; install python3-pip")


def _pip_download(args: list[str], dest: str, log: str) -> tuple[int, str]:
    """Run pip download into dest, logging; return its status and last ERROR line."""
    argv = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
            "--dest", dest, *args]
    env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore")
    result = run(argv, "pip download", log=log, env=env, check=False)
    errors = [line for line in result.output.splitlines() if line.startswith("ERROR:")]
    return result.status, (errors[-1][6:].strip() if errors else "")


def download_requirements(files: tuple[str, ...], target: Target, dest: str, log: str) -> None:
    """Everything files pin, for target, into dest."""
    if not files:
        return
    refs = [arg for path in files for arg in ("-r", os.path.abspath(path))]
    code, _ = _pip_download(["--only-binary=:all:", *target.pip_options(), *refs], dest, log)
    if code == 0:
        return
    # Some pin has no wheel for the target: fetch pins one by one (wheel, else sdist), without resolving.
    pins = validate_requirement_files(files)
    for pin in pins:
        spec = pin.name + pin.specifier
        if _pip_download(["--no-deps", "--only-binary=:all:", *target.pip_options(), spec], dest, log)[0] == 0:
            continue
        code, error = _pip_download(["--no-deps", "--no-binary=:all:", *target.pip_options(), spec], dest, log)
        if code != 0:
            show_tail(log)
            raise PyrpathError(f"{pin.where}: no wheel or sdist of {spec} for CPython {target.short_version} "
                               f"on {target.machine} ({error or 'see the log'}); fix the pin; log: {log}")
    check_complete(pins, files, target, dest)


def check_complete(pins: list[Pin], files: tuple[str, ...], target: Target, dest: str) -> None:
    """Fail when a downloaded wheel needs a distribution none of the pins names."""
    pinned = {pin.name for pin in pins}
    env = target.marker_environment()
    missing: dict[str, str] = {}
    for wheel in glob.glob(os.path.join(dest, "*.whl")):
        name, requires = wheel_requirements(wheel)
        if name not in pinned:
            continue
        for requirement in requires:
            if requirement.marker and not requirement.marker.evaluate(dict(env, extra="")):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency not in pinned:
                missing.setdefault(dependency, name)
    if missing:
        needed = ", ".join(f"{dep} (needed by {by})" for dep, by in sorted(missing.items()))
        raise PyrpathError(f"{' '.join(files)}: does not pin {needed}; pin every dependency "
                           "(pip-compile or pip freeze gives the complete list)")


def wheel_requirements(wheel: str) -> tuple[str, list[Requirement]]:
    """A wheel's canonical name and Requires-Dist."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(archive.read(metadata).decode("utf-8", errors="replace"))
    requires = []
    for value in headers.get_all("Requires-Dist") or []:
        try:
            requires.append(Requirement(value))
        except InvalidRequirement:
            continue
    return canonicalize_name(headers["Name"]), requires


def build_requires(pyproject: bytes | None) -> list[str]:
    """[build-system] requires of a pyproject.toml (pip's legacy default without one)."""
    if pyproject is None:
        return list(LEGACY_BUILD_REQUIRES)
    table = tomllib.loads(pyproject.decode("utf-8")).get("build-system", {})
    requires = list(table.get("requires", LEGACY_BUILD_REQUIRES))
    if table.get("build-backend", "setuptools.build_meta:__legacy__").startswith("setuptools") and \
            not any(canonicalize_name(Requirement(r).name) == "wheel" for r in requires):
        requires.append("wheel")  # older setuptools asks for it while building
    return requires


def sdist_pyproject(sdist: str) -> bytes | None:
    """The top-level pyproject.toml inside an sdist, or None."""
    if sdist.endswith(".zip"):
        with zipfile.ZipFile(sdist) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/pyproject.toml")]
            return archive.read(names[0]) if names else None
    with tarfile.open(sdist) as archive:
        for member in archive:
            if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml") and member.isfile():
                extracted = archive.extractfile(member)
                return extracted.read() if extracted else None
    return None


def download_build_requirements(project: str | None, target: Target, dest: str, log: str) -> list[str]:
    """Wheels of what the sdists in dest and the project (a pyproject.toml/setup.py dir) build with."""
    requires: list[str] = []
    for sdist in sorted(glob.glob(os.path.join(dest, "*"))):
        if _SDIST.search(sdist):
            requires += build_requires(sdist_pyproject(sdist))
    if project:
        path = os.path.join(project, "pyproject.toml")
        if os.path.isfile(path):
            with open(path, "rb") as fd:
                requires += build_requires(fd.read())
        else:
            requires += build_requires(None)
    unique = sorted(set(requires))
    if unique:
        code, error = _pip_download(["--only-binary=:all:", *target.pip_options(), *unique], dest, log)
        if code != 0:
            show_tail(log)
            raise PyrpathError(f"cannot download the build requirements {', '.join(unique)} as wheels "
                               f"({error or 'see the log'}); log: {log}")
    return unique

"""pyrpath vendor: make a source package self-contained for offline (sbuild) builds.

The steps: read the packages' configurations; put the CPython source they
name into <src>_<ver>.orig-cpython.tar.* (and cpython/); download every
wheel or sdist their pins, the sdists and the project need for this host's
architecture into <src>_<ver>.orig-wheels.tar.xz (and wheels/); create the
main orig tarball from the tree when there is none.  Inputs that did not
change give byte-identical tarballs, which are then left untouched.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from typing import Callable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dh_pyrpath.config import PackageConfig, config_file, load_config
from dh_pyrpath.contract.control import SourceControl, host_arch, read_control
from dh_pyrpath.cpython.cache.entries import downloads_dir
from dh_pyrpath.cpython.runtime import find_runtime, parse_runtime
from dh_pyrpath.cpython.source import VENDORED, PythonSource, read_version, resolve_source
from dh_pyrpath.deps.requirements import validate_requirement_files
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.hashing import sha256_file
from dh_pyrpath.staging import STATE_ROOT
from dh_pyrpath.vendor.components import (NOT_UPSTREAM, SourceVersion, deterministic_tarball, existing, publish,
                                          read_source_version, unpack_component)
from dh_pyrpath.vendor.wheelhouse import Target, download_build_requirements, download_requirements, host_target, require_pip

WHEELS = "wheels"
_COMPRESSION = {".tar.xz": ".xz", ".tar.gz": ".gz", ".tgz": ".gz", ".tar.bz2": ".bz2", ".tar.zst": ".zst"}


@dataclass(frozen=True)
class Written:
    """One tarball vendor wrote or found unchanged."""

    path: str
    changed: bool
    what: str

    def line(self) -> str:
        digest = sha256_file(self.path)
        state = "written" if self.changed else "unchanged"
        return f"{self.path}  {os.path.getsize(self.path)} bytes  sha256 {digest}  {state}: {self.what}"


def configured_packages(control: SourceControl) -> list[PackageConfig]:
    """Every binary package with a .pyrpath file, whatever the architecture."""
    configs = [load_config(p, control) for p in control.names() if config_file(p, control)]
    if not configs:
        raise PyrpathError("debian/control: no package has a debian/<package>.pyrpath file; nothing to vendor")
    return configs


def one_python_source(configs: list[PackageConfig]) -> PackageConfig:
    """The configuration whose Python-Source all packages share (one cpython component)."""
    specs = {(c.python_source, c.python_source_sha256) for c in configs}
    if len(specs) > 1:
        shown = ", ".join(f"{c.package}: {c.python_source}" for c in configs)
        raise PyrpathError(f"packages name different Python-Source ({shown}); one source package carries one "
                           "cpython component, so give them the same")
    return configs[0]


def vendor_cpython(config: PackageConfig, version: SourceVersion, log: str) -> tuple[Written, tuple[int, int, int]]:
    """The orig-cpython component (and cpython/) from Python-Source."""
    with config.naming_fields():
        source = resolve_source(config.python_source, config.python_source_sha256,
                                downloads_dir(os.path.join(STATE_ROOT, "downloads")), log)
        python = read_version(source)
    stem = version.orig(VENDORED)
    what = f"CPython {'.'.join(map(str, python))} from {source.origin}, unpacked in {VENDORED}/"
    if source.is_directory:
        data = deterministic_tarball(source.path, f"Python-{'.'.join(map(str, python))}", version.timestamp)
        written = Written(*publish(stem, ".xz", data=data), what)
    else:
        suffix = next(v for k, v in _COMPRESSION.items() if source.path.endswith(k))
        written = Written(*publish(stem, suffix, copy_from=source.path), what)
    if not _same_directory(source, VENDORED) and (written.changed or not os.path.isdir(VENDORED)):
        unpack_component(written.path, VENDORED)
    return written, python


def _same_directory(source: PythonSource, directory: str) -> bool:
    return source.is_directory and os.path.realpath(source.path) == os.path.realpath(directory)


def check_project_dependencies(configs: list[PackageConfig], target: Target) -> None:
    """The project's own dependencies must be pinned, or an offline install cannot find them."""
    if not os.path.isfile("pyproject.toml"):
        return
    with open("pyproject.toml", "rb") as fd:
        dependencies = tomllib.load(fd).get("project", {}).get("dependencies", [])
    env = target.marker_environment()
    for config in (c for c in configs if c.install_project):
        pinned = {pin.name for pin in validate_requirement_files(config.requirements)}
        missing = [r for r in map(Requirement, dependencies)
                   if canonicalize_name(r.name) not in pinned and (not r.marker or r.marker.evaluate(env))]
        if missing:
            files = " ".join(config.requirements) or f"debian/{config.package}.requirements.txt"
            raise PyrpathError(f"{files}: does not pin {', '.join(r.name for r in missing)}, which pyproject.toml "
                               "depends on; pin them so that the offline build can install the project")


def download_wheels(configs: list[PackageConfig], target: Target, log: str) -> str:
    """A fresh directory holding every distribution the packages need."""
    require_pip()
    check_project_dependencies(configs, target)
    dest = tempfile.mkdtemp(dir=".", prefix=f".{WHEELS}-")
    try:
        for config in configs:
            download_requirements(config.requirements, target, dest, log)
        project = "." if any(c.install_project for c in configs) else None
        download_build_requirements(project, target, dest, log)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _same_files(a: str, b: str) -> bool:
    if not os.path.isdir(b) or sorted(os.listdir(a)) != sorted(os.listdir(b)):
        return False
    match, mismatch, errors = filecmp.cmpfiles(a, b, os.listdir(a), shallow=False)
    return not mismatch and not errors


def vendor_wheels(configs: list[PackageConfig], version: SourceVersion, target: Target, log: str) -> Written | None:
    """The orig-wheels component (and wheels/), or None when nothing needs a wheel."""
    fresh = download_wheels(configs, target, log)
    if not os.listdir(fresh):
        shutil.rmtree(fresh)
        return None
    if _same_files(fresh, WHEELS):
        shutil.rmtree(fresh)
    else:
        if os.path.lexists(WHEELS):
            shutil.rmtree(WHEELS)
        os.rename(fresh, WHEELS)
    data = deterministic_tarball(WHEELS, WHEELS, version.timestamp)
    what = f"{len(os.listdir(WHEELS))} wheels and sdists for CPython {target.short_version} on {target.machine}, " \
           f"in {WHEELS}/"
    return Written(*publish(version.orig(WHEELS), ".xz", data=data), what)


def main_orig(version: SourceVersion) -> Written:
    """The main orig tarball: the one there is, or one made from the tree without debian/ and the components."""
    found = existing(version.orig())
    if found:
        return Written(found[0], False, "main orig tarball (kept as it is)")
    data = deterministic_tarball(".", f"{version.source}-{version.upstream}", version.timestamp, exclude=NOT_UPSTREAM)
    return Written(*publish(version.orig(), ".xz", data=data), "main orig tarball, made from the source tree")


def vendor(progress: Callable[[str], None]) -> list[Written]:
    """Run the vendor steps in the current source tree; return the tarballs."""
    control = read_control()
    version = read_source_version()
    configs = configured_packages(control)
    os.makedirs(STATE_ROOT, exist_ok=True)
    log = os.path.join(STATE_ROOT, "vendor.log")
    python_config = one_python_source(configs)
    name = parse_runtime(python_config.python_source)
    if name:  # the CPython comes from a runtime package (a Build-Depends): only its version is needed here
        installed = find_runtime(name, f"{python_config.path}: Python-Source", host_arch())
        python = tuple(int(part) for part in installed.version.split("."))
        progress(f"CPython {installed.version} from runtime {name} {installed.source_version}: no cpython component")
        origs = []
    else:
        progress(f"fetching the CPython source ({python_config.python_source})")
        cpython, python = vendor_cpython(python_config, version, log)
        origs = [cpython]
    target = host_target(python, host_arch())
    progress(f"downloading wheels for CPython {target.short_version} on {target.machine} "
             f"(glibc {'.'.join(map(str, target.glibc))}); log: {log}")
    wheels = vendor_wheels(configs, version, target, log)
    return [main_orig(version), *origs] + ([wheels] if wheels else [])

"""Read debian/control: binary packages, what this build acts on, the host architecture."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from debian import deb822
from debian._arch_table import DpkgArchTable

from dh_pyrpath.contract.runner import run
from dh_pyrpath.errors import PyrpathError

CONTROL = "debian/control"


@dataclass(frozen=True)
class BinaryPackage:
    name: str
    architecture: str
    build_profiles: str = ""
    package_type: str = "deb"

    @property
    def is_arch_all(self) -> bool:
        return self.architecture.split() == ["all"]


@dataclass(frozen=True)
class SourceControl:
    source: str
    packages: tuple[BinaryPackage, ...]

    @property
    def main_package(self) -> str:
        """The package that owns the unprefixed debian/<file> (debhelper's rule)."""
        return self.packages[0].name

    def names(self) -> list[str]:
        return [p.name for p in self.packages]


def read_control(path: str = CONTROL) -> SourceControl:
    """Parse debian/control into its source name and binary packages (debhelper checks the compat level)."""
    try:
        with open(path, encoding="utf-8") as fd:
            paragraphs = list(deb822.Deb822.iter_paragraphs(fd))
    except OSError as exc:
        raise PyrpathError(f"{path}: cannot read ({exc.strerror}); run this from the top of a source package") from None
    if not paragraphs or "Source" not in paragraphs[0]:
        raise PyrpathError(f"{path}: no Source paragraph; is this a debian/control file?")
    source, binaries = paragraphs[0], paragraphs[1:]
    packages = tuple(
        BinaryPackage(
            name=p["Package"].strip(),
            architecture=p.get("Architecture", "any").strip(),
            build_profiles=p.get("Build-Profiles", "").strip(),
            package_type=p.get("Package-Type", p.get("XC-Package-Type", "deb")).strip(),
        )
        for p in binaries
        if "Package" in p
    )
    if not packages:
        raise PyrpathError(f"{path}: no binary package paragraph")
    return SourceControl(source["Source"].strip(), packages)


@lru_cache(maxsize=None)
def host_arch() -> str:
    """DEB_HOST_ARCH, from the environment (as dpkg-buildpackage exports it) or dpkg."""
    return _architecture_value("DEB_HOST_ARCH")


def host_arch_os() -> str:
    """DEB_HOST_ARCH_OS (linux, hurd, kfreebsd)."""
    return _architecture_value("DEB_HOST_ARCH_OS")


def _architecture_value(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    try:
        result = run(["dpkg-architecture", f"-q{name}"], "dpkg-architecture", reads=True, check=False, stderr_apart=True)
    except PyrpathError:
        result = None
    if result is None or not result.ok:
        raise PyrpathError("dpkg-architecture failed; install dpkg-dev")
    return result.output.strip()


@lru_cache(maxsize=1)
def _arch_table() -> DpkgArchTable:
    return DpkgArchTable.load_arch_table()


def builds_on_host(package: BinaryPackage, arch: str) -> bool:
    """True when the package's Architecture field admits the host architecture."""
    wanted = package.architecture.split()
    if wanted == ["all"]:
        return True
    table = _arch_table()
    return any(w != "all" and table.matches_architecture(arch, w) for w in wanted)


def active_profiles() -> set[str]:
    return set(os.environ.get("DEB_BUILD_PROFILES", "").split())


def enabled_by_profiles(package: BinaryPackage, profiles: set[str]) -> bool:
    """Evaluate a Build-Profiles formula: any <...> group whose terms all hold."""
    if not package.build_profiles:
        return True
    parsed = deb822.PkgRelation.parse_relations(f"dummy {package.build_profiles}")
    groups = parsed[0][0].get("restrictions") or []
    if not groups:
        raise PyrpathError(
            f"{CONTROL}: {package.name}: Build-Profiles: cannot parse {package.build_profiles!r}"
        )
    return any(all((term.profile in profiles) == term.enabled for term in group) for group in groups)


def buildable_packages(control: SourceControl, kind: str = "both") -> list[str]:
    """Packages of one kind ('arch', 'indep', 'both') this build produces, like getpackages()."""
    arch, profiles = host_arch(), active_profiles()
    selected = []
    for package in control.packages:
        if package.package_type == "udeb" and "noudeb" in profiles:
            continue
        if not enabled_by_profiles(package, profiles):
            continue
        if package.is_arch_all:
            if kind in ("indep", "both"):
                selected.append(package.name)
        elif kind in ("arch", "both") and builds_on_host(package, arch):
            selected.append(package.name)
    return selected

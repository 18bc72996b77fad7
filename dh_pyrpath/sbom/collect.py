"""Gather what one package's SBOM states: from its finished tree and what the build steps recorded."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import asdict

from debian import changelog, deb822

from dh_pyrpath import __version__
from dh_pyrpath.contract.runner import run
from dh_pyrpath.elf import read_dynamic
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.hashing import sha256_file
from dh_pyrpath.sbom.distinfo import bundled_libraries, canonical_name, installed_distributions
from dh_pyrpath.sbom.inputs import CPythonRecord, PipInstall
from dh_pyrpath.sbom.model import CPython, DebianDependency, Distribution, Library, Sbom, Subject
from dh_pyrpath.staging import StagedTree
from dh_pyrpath.tree.filetimes import source_date_epoch

_BUNDLED_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.*\.whl$")
# Licence fields longer than this are a licence's text, not its name.
_LICENSE_NAME_MAX = 100


def package_version(path: str = "debian/changelog") -> str:
    try:
        with open(path, encoding="utf-8") as fd:
            return str(changelog.Changelog(fd, max_blocks=1).version)
    except (OSError, IndexError, ValueError) as exc:
        raise PyrpathError(f"{path}: cannot read the package version ({exc}); fix debian/changelog") from None


def host_architecture() -> str:
    arch = os.environ.get("DEB_HOST_ARCH")
    if arch:
        return arch
    return run(["dpkg-architecture", "-qDEB_HOST_ARCH"], "dpkg-architecture", reads=True).output.strip()


def vendor() -> str:
    """The purl namespace of the system's packages: dpkg-vendor's name, lower case (debian, ubuntu, ...)."""
    result = run(["dpkg-vendor", "--query", "Vendor"], "dpkg-vendor", reads=True, check=False)
    name = result.output.strip() if result.ok else ""
    return (name or "debian").lower()


def debian_dependencies(substvars: str) -> list[DebianDependency]:
    """Every package named in ${shlibs:Depends} (alternatives included), with its relations."""
    value = ""
    try:
        with open(substvars, encoding="utf-8") as fd:
            for line in fd:
                if line.startswith("shlibs:Depends="):
                    value = line.split("=", 1)[1].strip()
    except OSError:
        return []
    relations: dict[str, set[str]] = {}
    for alternatives in deb822.PkgRelation.parse_relations(value):
        for relation in alternatives:
            text = relation["name"]
            if relation.get("version"):
                text += f" ({relation['version'][0]} {relation['version'][1]})"
            relations.setdefault(relation["name"], set()).add(text)
    return [DebianDependency(name, ", ".join(sorted(texts))) for name, texts in sorted(relations.items())]


def ensurepip_hashes(tree: StagedTree) -> dict[tuple[str, str], str]:
    """The sha256 of the wheels CPython bundles for ensurepip (pip, setuptools), where the tree keeps them."""
    bundled = os.path.join(tree.stdlib, "ensurepip", "_bundled")
    found = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(bundled), "*.whl"))):
        match = _BUNDLED_WHEEL.match(os.path.basename(path))
        if match:
            found[(canonical_name(match["name"]), match["version"])] = sha256_file(path)
    return found


def license_names(text: str | None, classifiers: tuple[str, ...]) -> tuple[str, ...]:
    if text and "\n" not in text.strip() and len(text) <= _LICENSE_NAME_MAX:
        return (text.strip(),)
    return classifiers


def libraries(tree: StagedTree, site_packages: str, rels: list[str]) -> tuple[Library, ...]:
    paths = [os.path.join(site_packages, rel) for rel in rels]
    dynamic = read_dynamic(paths) if paths else {}
    return tuple(Library(installed(tree, path), dynamic[path].soname if path in dynamic else None, sha256_file(path))
                 for path in paths)


def installed(tree: StagedTree, path: str) -> str:
    """The installed path of a file of the package tree."""
    return "/" + os.path.relpath(path, os.path.abspath(tree.destdir))


def distributions(tree: StagedTree, pip: dict[tuple[str, str], PipInstall]) -> list[Distribution]:
    bundled = ensurepip_hashes(tree)
    found = []
    for dist in installed_distributions(tree.site_packages):
        key = (canonical_name(dist.name), dist.version)
        install = pip.get(key)
        if install and install.direct:
            origin, sha256 = "project", None
        elif install:
            origin, sha256 = "pip", install.sha256
        else:
            origin, sha256 = "ensurepip", bundled.get(key)
        found.append(Distribution(
            name=dist.name, version=dist.version, location=installed(tree, dist.dist_info), sha256=sha256,
            license_expression=dist.license_expression,
            license_names=license_names(dist.license_text, dist.license_classifiers),
            origin=origin, prebuilt=dist.prebuilt,
            libraries=libraries(tree, tree.site_packages, bundled_libraries(tree.site_packages, dist))))
    return found


def collect(tree: StagedTree, record: CPythonRecord, pip: dict[tuple[str, str], PipInstall],
            substvars: str) -> Sbom:
    """The SBOM of a finished package tree."""
    cpython = CPython(**asdict(record), location=tree.final_python)
    subject = Subject(tree.package, package_version(), host_architecture(), tree.prefix)
    return Sbom(subject, cpython, tuple(distributions(tree, pip)), tuple(debian_dependencies(substvars)),
                vendor=vendor(), tool_version=__version__, timestamp=source_date_epoch())

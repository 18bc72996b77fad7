"""Check an SBOM against the tree it describes, trusting only the files (pyrpath audit and inventory)."""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from dh_pyrpath.hashing import sha256_file
from dh_pyrpath.sbom.distinfo import canonical_name, installed_distributions, read_distribution
from dh_pyrpath.sbom.model import Sbom, made_by_us, parse


@dataclass(frozen=True)
class Mismatch:
    """Something the SBOM states that the tree does not bear out: the installed path and what is wrong."""

    path: str
    detail: str

    def line(self) -> str:
        return f"{self.path}: {self.detail}"


class NotOurs(ValueError):
    """The file is not an SBOM dh-pyrpath wrote (or not JSON at all)."""


def load_sbom(path: str) -> Sbom:
    """Read and parse a dh-pyrpath SBOM; NotOurs when it is something else; OSError when unreadable."""
    with open(path, encoding="utf-8", errors="replace") as fd:
        try:
            doc = json.load(fd)
        except ValueError as exc:
            raise NotOurs(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or not made_by_us(doc):
        raise NotOurs("not a CycloneDX document written by dh-pyrpath")
    try:
        return parse(doc)
    except (KeyError, TypeError, AttributeError) as exc:
        raise NotOurs(f"lacks {exc}") from None


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def site_packages(sbom: Sbom) -> str:
    short = ".".join(sbom.cpython.version.split(".")[:2])
    return f"{sbom.subject.prefix}/lib/python{short}/site-packages"


def disk(root: str, installed: str) -> str:
    return installed if root in ("", "/") else root.rstrip("/") + installed


def check_distributions(sbom: Sbom, root: str) -> list[Mismatch]:
    found = []
    listed = set()
    for dist in sbom.distributions:
        listed.add(canonical_name(dist.name))
        on_disk = read_distribution(disk(root, dist.location)) if os.path.exists(disk(root, dist.location)) else None
        if on_disk is None:
            found.append(Mismatch(dist.location, f"the SBOM lists {dist.name} {dist.version} here, but the tree "
                                                 "holds no such *.dist-info"))
        elif canonical_name(on_disk.name) != canonical_name(dist.name) or not same_version(on_disk.version,
                                                                                           dist.version):
            found.append(Mismatch(dist.location, f"the SBOM says {dist.name} {dist.version}, the installed "
                                                 f"METADATA says {on_disk.name} {on_disk.version}"))
        for library in dist.libraries:
            found += check_library(library.location, library.sha256, root)
    for installed in installed_distributions(disk(root, site_packages(sbom))):
        if canonical_name(installed.name) not in listed:
            location = "/" + os.path.relpath(installed.dist_info, root) if root not in ("", "/") else installed.dist_info
            found.append(Mismatch(location, f"{installed.name} {installed.version} is installed but not in the SBOM"))
    return found


def check_library(location: str, sha256: str, root: str) -> list[Mismatch]:
    path = disk(root, location)
    if not os.path.isfile(path):
        return [Mismatch(location, "the SBOM lists this bundled library, but the tree does not hold it")]
    if sha256_file(path) != sha256:
        return [Mismatch(location, "its sha256 is not the one the SBOM states")]
    return []


def check_cpython(sbom: Sbom, root: str) -> list[Mismatch]:
    prefix = sbom.subject.prefix
    if not os.path.isdir(disk(root, prefix)):
        return [Mismatch(prefix, "the SBOM's prefix does not exist")]
    if not os.path.exists(disk(root, sbom.cpython.location)):
        short = ".".join(sbom.cpython.version.split(".")[:2])
        present = sorted(os.path.basename(p) for p in glob.glob(glob.escape(disk(root, prefix)) + "/bin/python3.*"))
        return [Mismatch(sbom.cpython.location, f"the SBOM says CPython {sbom.cpython.version}, but there is no "
                                                f"python{short} (found: {', '.join(present) or 'none'})")]
    return []


def check_tree(sbom: Sbom, root: str = "/") -> list[Mismatch]:
    """Everything the SBOM states that the files under root (standing for /) contradict."""
    found = check_cpython(sbom, root)
    if found and found[0].path == sbom.subject.prefix:
        return found
    return found + check_distributions(sbom, root)

"""The Python distributions installed in a tree, read from their *.dist-info (or legacy *.egg-info) metadata."""

from __future__ import annotations

import csv
import glob
import os
import re
from dataclasses import dataclass
from email.parser import HeaderParser

from dh_pyrpath.dpkg.prebuilt_binaries import is_prebuilt

_SEPARATORS = re.compile(r"[-_.]+")
LIBS_SUFFIX = ".libs"


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares it (and as pkg:pypi purls spell it)."""
    return _SEPARATORS.sub("-", name).lower()


@dataclass(frozen=True)
class InstalledDistribution:
    """One *.dist-info directory (or *.egg-info, from a setup.py install): what its metadata says and where."""

    name: str
    version: str
    dist_info: str              # its path on disk
    license_expression: str | None
    license_text: str | None
    license_classifiers: tuple[str, ...]
    prebuilt: bool


def metadata_file(dist_info: str) -> str:
    """METADATA of a *.dist-info; PKG-INFO of an *.egg-info directory, or the *.egg-info file itself."""
    if dist_info.endswith(".egg-info"):
        return os.path.join(dist_info, "PKG-INFO") if os.path.isdir(dist_info) else dist_info
    return os.path.join(dist_info, "METADATA")


def read_metadata(dist_info: str) -> dict[str, list[str]]:
    """The metadata's header fields (each a list of its values); empty when unreadable."""
    try:
        with open(metadata_file(dist_info), encoding="utf-8", errors="replace") as fd:
            message = HeaderParser().parse(fd)
    except OSError:
        return {}
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key.lower(), []).append(str(value))
    return fields


def read_distribution(dist_info: str) -> InstalledDistribution | None:
    fields = read_metadata(dist_info)
    if not fields.get("name") or not fields.get("version"):
        return None
    license_text = (fields.get("license") or [""])[0].strip()
    classifiers = tuple(sorted(c.split("::")[-1].strip() for c in fields.get("classifier", [])
                               if c.startswith("License ::") and c.count("::") >= 2))
    return InstalledDistribution(
        name=fields["name"][0].strip(),
        version=fields["version"][0].strip(),
        dist_info=dist_info,
        license_expression=(fields.get("license-expression") or [None])[0],
        license_text=license_text if license_text and license_text.upper() != "UNKNOWN" else None,
        license_classifiers=classifiers,
        prebuilt=is_prebuilt(dist_info),
    )


def installed_distributions(site_packages: str) -> list[InstalledDistribution]:
    """Every distribution under site_packages, sorted by canonical name."""
    found = []
    top = glob.escape(site_packages)
    for dist_info in glob.glob(os.path.join(top, "*.dist-info")) + glob.glob(os.path.join(top, "*.egg-info")):
        dist = read_distribution(dist_info)
        if dist:
            found.append(dist)
    return sorted(found, key=lambda d: (canonical_name(d.name), d.version))


def bundled_libraries(site_packages: str, dist: InstalledDistribution) -> list[str]:
    """The files a wheel installed in <something>.libs/ (auditwheel's vendored libraries), relative paths."""
    try:
        with open(os.path.join(dist.dist_info, "RECORD"), encoding="utf-8", newline="") as fd:
            rows = list(csv.reader(fd))
    except OSError:
        return []
    found = set()
    for row in rows:
        rel = os.path.normpath(row[0]) if row else ""
        top = rel.split(os.sep, 1)[0]
        if top.endswith(LIBS_SUFFIX) and rel != top and os.path.isfile(os.path.join(site_packages, rel)):
            found.add(rel)
    return sorted(found)

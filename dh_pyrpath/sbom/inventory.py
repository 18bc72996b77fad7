"""pyrpath inventory: which installed packages dh-pyrpath built, what they carry, and whether it is still so.

The packages are found from dpkg (who ships /usr/share/doc/*/sbom.cdx.json)
and described by their SBOMs; what can be checked without trusting an SBOM
is: dpkg's version, the prefix, the interpreter, and every *.dist-info.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dh_pyrpath.contract.runner import run
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.sbom.check import Mismatch, NotOurs, check_tree, disk, load_sbom
from dh_pyrpath.sbom.distinfo import canonical_name, read_distribution
from dh_pyrpath.sbom.model import Sbom
from dh_pyrpath.sbom.write import SBOM_NAME

SBOM_GLOB = f"/usr/share/doc/*/{SBOM_NAME}"


@dataclass(frozen=True)
class Carrier:
    """One installed package that ships a dh-pyrpath SBOM."""

    package: str
    version: str                      # dpkg's
    sbom: Sbom | None
    problems: tuple[Mismatch, ...] = ()
    installed: dict[str, str] = field(default_factory=dict)   # canonical name -> version on disk

    def as_json(self) -> dict:
        data: dict = {"package": self.package, "version": self.version,
                      "problems": [{"path": p.path, "detail": p.detail} for p in self.problems]}
        if self.sbom:
            data.update(prefix=self.sbom.subject.prefix,
                        cpython={"version": self.sbom.cpython.version, "origin": origin(self.sbom)},
                        distributions=[{"name": d.name, "version": d.version,
                                        "installed": self.installed.get(canonical_name(d.name))}
                                       for d in self.sbom.distributions])
        return data


@dataclass(frozen=True)
class Match:
    carrier: Carrier
    what: str                         # e.g. "urllib3 2.2.1" or "CPython 3.11.2"

    def as_json(self) -> dict:
        assert self.carrier.sbom
        return {"package": self.carrier.package, "version": self.carrier.version,
                "prefix": self.carrier.sbom.subject.prefix, "carries": self.what}


def origin(sbom: Sbom) -> str:
    debian = sbom.cpython.debian_source_version
    return f"{sbom.cpython.origin} ({debian})" if debian else sbom.cpython.origin


# --- dpkg ------------------------------------------------------------------------------------

_OWNER = re.compile(r"^(?P<packages>[^:]+): (?P<path>/.*)$")


def sbom_owners() -> dict[str, str]:
    """package -> the SBOM path dpkg says it ships."""
    result = run(["dpkg-query", "-S", SBOM_GLOB], "dpkg-query -S", reads=True, check=False)
    owners = {}
    for line in result.output.splitlines():
        match = _OWNER.match(line)
        if not match or line.startswith("diversion by"):
            continue
        for package in match["packages"].split(","):
            owners[package.strip().split(":")[0]] = match["path"]
    return owners


def dpkg_versions(packages: list[str]) -> dict[str, str]:
    if not packages:
        return {}
    result = run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", *packages],
                 "dpkg-query -W", reads=True, check=False)
    versions = {}
    for line in result.output.splitlines():
        name, version, status = (line.split("\t") + ["", ""])[:3]
        if status.startswith("ii"):
            versions[name] = version
    return versions


# --- checks ----------------------------------------------------------------------------------

def installed_versions(sbom: Sbom, root: str) -> dict[str, str]:
    """canonical name -> the version the *.dist-info the SBOM points at says."""
    found = {}
    for dist in sbom.distributions:
        on_disk = read_distribution(disk(root, dist.location)) if os.path.exists(disk(root, dist.location)) else None
        if on_disk:
            found[canonical_name(dist.name)] = on_disk.version
    return found


def examine(package: str, version: str, path: str, root: str = "/") -> Carrier | None:
    """The carrier a package's SBOM describes, with what the tree contradicts; None if not ours."""
    try:
        sbom = load_sbom(disk(root, path))
    except FileNotFoundError:
        return Carrier(package, version, None, (Mismatch(path, "dpkg lists this SBOM but it is not there (deleted, "
                                                               "or excluded by a dpkg path-exclude)"),))
    except OSError as exc:
        return Carrier(package, version, None, (Mismatch(path, f"cannot read it ({exc.strerror})"),))
    except NotOurs:
        return None
    problems = []
    if sbom.subject.name != package:
        problems.append(Mismatch(path, f"the SBOM describes {sbom.subject.name}, not {package}"))
    if version and sbom.subject.version != version:
        problems.append(Mismatch(path, f"the SBOM is of version {sbom.subject.version}, dpkg has {version} "
                                       "installed"))
    problems += check_tree(sbom, root)
    return Carrier(package, version, sbom, tuple(problems), installed_versions(sbom, root))


def inventory(root: str = "/") -> list[Carrier]:
    """Every installed package that ships a dh-pyrpath SBOM, examined."""
    owners = sbom_owners()
    versions = dpkg_versions(sorted(owners))
    carriers = [examine(p, versions[p], owners[p], root) for p in sorted(owners) if p in versions]
    return [c for c in carriers if c is not None]


# --- queries ---------------------------------------------------------------------------------

def requirement(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise PyrpathError(f"--find: {text!r} is not a requirement ({str(exc).splitlines()[0]}); write it as in a requirements "
                           "file, e.g. 'urllib3<2.2.2'") from None


def python_specifier(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise PyrpathError(f"--python: {text!r} is not a version specifier; write e.g. '<3.11.9' or "
                           "'>=3.11,<3.11.9'") from None


def find(carriers: list[Carrier], wanted: Requirement) -> list[Match]:
    """The carriers with a distribution the requirement matches (its installed version, else the SBOM's)."""
    name = canonical_name(wanted.name)
    found = []
    for carrier in carriers:
        for dist in carrier.sbom.distributions if carrier.sbom else ():
            if canonical_name(dist.name) != name:
                continue
            versions = {dist.version, carrier.installed.get(name, dist.version)}
            hit = sorted(v for v in versions if wanted.specifier.contains(v, prereleases=True))
            if hit:
                found.append(Match(carrier, f"{dist.name} {', '.join(hit)}"))
    return found


def find_python(carriers: list[Carrier], wanted: SpecifierSet) -> list[Match]:
    return [Match(c, f"CPython {c.sbom.cpython.version}") for c in carriers
            if c.sbom and wanted.contains(c.sbom.cpython.version, prereleases=True)]


def report_lines(carriers: list[Carrier]) -> list[str]:
    """The table of carriers."""
    rows = [("PACKAGE", "VERSION", "PREFIX", "CPYTHON", "ORIGIN", "DISTRIBUTIONS")]
    rows += [(c.package, c.version, c.sbom.subject.prefix, c.sbom.cpython.version, origin(c.sbom),
              str(len(c.sbom.distributions))) for c in carriers if c.sbom]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def problem_lines(carriers: list[Carrier]) -> list[str]:
    return [f"{c.package}: {p.line()}" for c in carriers for p in c.problems]

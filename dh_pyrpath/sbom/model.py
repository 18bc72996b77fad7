"""The CycloneDX 1.6 document of one package, built from plain data, and read back.

The document is deterministic: components and properties are sorted, the
only time in it is SOURCE_DATE_EPOCH, and the serial number is derived from
the content, so two builds of the same source give the same bytes.
Everything dh-pyrpath adds beyond CycloneDX's own fields is a property
named `dh-pyrpath:<what>`.
"""

from __future__ import annotations

import json
import shlex
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from dh_pyrpath.sbom.distinfo import canonical_name

SPEC_VERSION = "1.6"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
TOOL = "dh-pyrpath"
CPYTHON_REF = "cpython"
# The namespace of the serial numbers: uuid5 of the document's own content.
_SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dh-pyrpath.example.org/sbom")


@dataclass(frozen=True)
class Subject:
    """The binary package the SBOM describes."""

    name: str
    version: str
    architecture: str
    prefix: str


@dataclass(frozen=True)
class CPythonRecord:
    """The CPython a package carries: what it is, where it came from, how it was built."""

    version: str
    origin: str
    source_sha256: str
    source_is_directory: bool
    debian_source_version: str | None
    optimize: str
    configure_args: tuple[str, ...]


@dataclass(frozen=True)
class CPython(CPythonRecord):
    """The record, and where the package installs the interpreter."""

    location: str               # the installed interpreter, e.g. /opt/svc/bin/python3.11


@dataclass(frozen=True)
class Library:
    """A shared library a prebuilt wheel bundles (<dist>.libs/)."""

    location: str               # installed path
    soname: str | None
    sha256: str


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    location: str               # installed path of its *.dist-info directory
    sha256: str | None          # of the wheel or sdist that was installed
    license_expression: str | None = None
    license_names: tuple[str, ...] = ()
    origin: str = "pip"         # pip, ensurepip (bundled with CPython), project (built from this source)
    prebuilt: bool = False
    libraries: tuple[Library, ...] = ()


@dataclass(frozen=True)
class DebianDependency:
    name: str
    relation: str               # as ${shlibs:Depends} states it, e.g. "libc6 (>= 2.34)"


@dataclass(frozen=True)
class Sbom:
    subject: Subject
    cpython: CPython
    distributions: tuple[Distribution, ...]
    debian: tuple[DebianDependency, ...]
    vendor: str = "debian"      # the purl namespace of the Debian dependencies (dpkg-vendor)
    tool_version: str = ""
    timestamp: int | None = None  # SOURCE_DATE_EPOCH


def pypi_purl(name: str, version: str) -> str:
    return f"pkg:pypi/{canonical_name(name)}@{quote(version, safe='')}"


def deb_purl(vendor: str, name: str, architecture: str) -> str:
    return f"pkg:deb/{vendor}/{quote(name, safe='')}?arch={architecture}"


def properties(pairs: dict[str, str | None]) -> list[dict[str, str]]:
    return [{"name": f"{TOOL}:{k}", "value": v} for k, v in sorted(pairs.items()) if v is not None]


def sha256_hash(digest: str) -> list[dict[str, str]]:
    return [{"alg": "SHA-256", "content": digest}]


def occurrence(location: str) -> dict:
    return {"occurrences": [{"location": location}]}


def cpython_component(cpython: CPython) -> dict:
    component = {
        "type": "application",
        "bom-ref": CPYTHON_REF,
        "name": "cpython",
        "version": cpython.version,
        "description": "CPython, compiled for this package from the upstream source (no distribution patches)",
        "cpe": f"cpe:2.3:a:python:python:{cpython.version}:*:*:*:*:*:*:*",
        "purl": f"pkg:generic/cpython@{quote(cpython.version, safe='')}",
        "evidence": occurrence(cpython.location),
        "properties": properties({
            "origin": cpython.origin,
            "debian-source-version": cpython.debian_source_version,
            "source-sha256": cpython.source_sha256,
            "source-sha256-of": "source directory tree" if cpython.source_is_directory else "source tarball",
            "optimize": cpython.optimize,
            "configure-args": shlex.join(cpython.configure_args),
        }),
    }
    if not cpython.source_is_directory:
        component["hashes"] = sha256_hash(cpython.source_sha256)
    references = source_references(cpython)
    if references:
        component["externalReferences"] = references
    return component


def source_references(cpython: CPython) -> list[dict[str, str]]:
    """Where the source can be found again: the https URL, or Debian's source package."""
    if cpython.origin.startswith("https://"):
        return [{"type": "source-distribution", "url": cpython.origin}]
    if cpython.origin.startswith("debian:") and cpython.debian_source_version:
        package = cpython.origin.split(":", 1)[1]
        return [{"type": "source-distribution",
                 "url": f"https://snapshot.debian.org/package/{package}/{quote(cpython.debian_source_version)}/"}]
    return []


def library_component(parent: str, library: Library) -> dict:
    name = library.location.rsplit("/", 1)[-1]
    return {
        "type": "library",
        "bom-ref": f"{parent}#{library.location}",
        "name": name,
        "hashes": sha256_hash(library.sha256),
        "evidence": occurrence(library.location),
        "properties": properties({"soname": library.soname}),
    }


def licenses(dist: Distribution) -> list[dict]:
    if dist.license_expression:
        return [{"expression": dist.license_expression}]
    return [{"license": {"name": name}} for name in dist.license_names]


def distribution_component(dist: Distribution) -> dict:
    purl = pypi_purl(dist.name, dist.version)
    component: dict = {
        "type": "library",
        "bom-ref": purl,
        "name": dist.name,
        "version": dist.version,
        "purl": purl,
        "evidence": occurrence(dist.location),
        "properties": properties({"installed-by": dist.origin, "wheel": "prebuilt" if dist.prebuilt else None}),
    }
    if dist.sha256:
        component["hashes"] = sha256_hash(dist.sha256)
    if licenses(dist):
        component["licenses"] = licenses(dist)
    if dist.libraries:
        component["components"] = [library_component(purl, lib)
                                    for lib in sorted(dist.libraries, key=lambda l: l.location)]
    return component


def debian_component(sbom: Sbom, dep: DebianDependency) -> dict:
    purl = deb_purl(sbom.vendor, dep.name, sbom.subject.architecture)
    return {
        "type": "library",
        "bom-ref": purl,
        "name": dep.name,
        "purl": purl,
        "scope": "required",
        "description": "a Debian package the tree links against (from ${shlibs:Depends}); not part of this package",
        "properties": properties({"relation": dep.relation}),
    }


def subject_component(subject: Subject) -> dict:
    return {
        "type": "application",
        "bom-ref": subject.name,
        "name": subject.name,
        "version": subject.version,
        "properties": properties({"architecture": subject.architecture, "prefix": subject.prefix,
                                  "package-type": "deb"}),
    }


def metadata(sbom: Sbom) -> dict:
    data: dict = {
        "lifecycles": [{"phase": "build"}],
        "tools": {"components": [{"type": "application", "name": TOOL, "version": sbom.tool_version}]},
        "component": subject_component(sbom.subject),
    }
    if sbom.timestamp is not None:
        data["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sbom.timestamp))
    return data


def document(sbom: Sbom) -> dict:
    """The CycloneDX document, with its content-derived serial number."""
    distributions = sorted(sbom.distributions, key=lambda d: (pypi_purl(d.name, d.version), d.location))
    debian = sorted(sbom.debian, key=lambda d: d.name)
    components = ([cpython_component(sbom.cpython)] + [distribution_component(d) for d in distributions]
                  + [debian_component(sbom, d) for d in debian])
    refs = [c["bom-ref"] for c in components]
    doc = {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata(sbom),
        "components": components,
        "dependencies": [{"ref": sbom.subject.name, "dependsOn": refs}]
                        + [{"ref": ref, "dependsOn": []} for ref in refs],
    }
    doc["serialNumber"] = f"urn:uuid:{uuid.uuid5(_SERIAL_NAMESPACE, canonical(doc))}"
    return doc


def canonical(doc: dict) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(doc: dict) -> str:
    """The bytes written to the package: sorted keys, one space indent, a final newline."""
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


# --- reading an SBOM back (pyrpath inventory, pyrpath audit) ------------------------------

def property_map(component: dict) -> dict[str, str]:
    prefix = f"{TOOL}:"
    return {p["name"][len(prefix):]: p.get("value", "") for p in component.get("properties", [])
            if p.get("name", "").startswith(prefix)}


def location(component: dict) -> str | None:
    occurrences = component.get("evidence", {}).get("occurrences", [])
    return occurrences[0].get("location") if occurrences else None


def made_by_us(doc: dict) -> bool:
    """Whether a CycloneDX document was written by dh-pyrpath."""
    tools = doc.get("metadata", {}).get("tools", {})
    listed = tools.get("components", []) if isinstance(tools, dict) else tools
    return doc.get("bomFormat") == "CycloneDX" and any(t.get("name") == TOOL for t in listed)


def parse(doc: dict) -> Sbom:
    """The plain data of a dh-pyrpath SBOM (KeyError or TypeError when it is not one)."""
    subject_data = doc["metadata"]["component"]
    subject_props = property_map(subject_data)
    subject = Subject(subject_data["name"], subject_data.get("version", ""), subject_props.get("architecture", ""),
                      subject_props["prefix"])
    cpython = None
    distributions, debian = [], []
    for component in doc.get("components", []):
        props = property_map(component)
        if component.get("bom-ref") == CPYTHON_REF:
            cpython = CPython(component["version"], props.get("origin", ""), props.get("source-sha256", ""),
                              props.get("source-sha256-of") == "source directory tree",
                              props.get("debian-source-version"), props.get("optimize", ""),
                              tuple(shlex.split(props.get("configure-args", ""))), location(component) or "")
        elif component.get("purl", "").startswith("pkg:pypi/"):
            libraries = tuple(Library(location(c) or "", property_map(c).get("soname"),
                                      next((h["content"] for h in c.get("hashes", []) if h.get("alg") == "SHA-256"),
                                           ""))
                              for c in component.get("components", []))
            sha = next((h["content"] for h in component.get("hashes", []) if h.get("alg") == "SHA-256"), None)
            distributions.append(Distribution(component["name"], component.get("version", ""),
                                              location(component) or "", sha, origin=props.get("installed-by", ""),
                                              prebuilt=props.get("wheel") == "prebuilt", libraries=libraries))
        elif component.get("purl", "").startswith("pkg:deb/"):
            debian.append(DebianDependency(component["name"], props.get("relation", component["name"])))
    if cpython is None:
        raise KeyError("cpython")
    return Sbom(subject, cpython, tuple(distributions), tuple(debian))

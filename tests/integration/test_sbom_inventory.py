"""The SBOM of every example is valid CycloneDX 1.6 and true; pyrpath inventory finds what hosts carry."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest

from cdxschema import schema_errors
from debs import ROOT, dpkg_install, dpkg_purge, tool_is_installed

pytestmark = pytest.mark.slow

EXAMPLES = {"hello_build": ("hello-service",), "twin_build": ("twin-alpha", "twin-beta"),
            "imaging_build": ("imaging-service",), "pypiserver_build": ("pypiserver-service",)}
TWINS = {"twin-alpha": "3.10", "twin-beta": "2.10"}


def pyrpath() -> str:
    return "/usr/bin/pyrpath" if tool_is_installed() else os.path.join(ROOT, "debhelper", "pyrpath")


def deb_field(deb: str, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", deb, name], check=True, capture_output=True, text=True).stdout.strip()


def deb_file(deb: str, path: str) -> bytes:
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    return subprocess.run(["tar", "-xOf", "-", "." + path], input=tar, check=True, capture_output=True).stdout


def sbom_of(deb: str, package: str) -> dict:
    return json.loads(deb_file(deb, f"/usr/share/doc/{package}/sbom.cdx.json"))


def components(doc: dict, kind: str) -> dict[str, dict]:
    return {c["name"].lower(): c for c in doc["components"] if c.get("purl", "").startswith(kind)}


def props(component: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def all_debs() -> list[tuple[str, str]]:
    return [(fixture, package) for fixture, packages in EXAMPLES.items() for package in packages]


@pytest.mark.parametrize("fixture,package", all_debs())
def test_every_example_ships_a_valid_and_true_sbom(fixture, package, request):
    built = request.getfixturevalue(fixture)
    deb = built.debs[package]
    doc = sbom_of(deb, package)
    assert schema_errors(doc) == []
    subject = doc["metadata"]["component"]
    assert (subject["name"], subject["version"]) == (package, deb_field(deb, "Version"))
    assert props(subject)["dh-pyrpath:architecture"] == deb_field(deb, "Architecture")
    cpython = next(c for c in doc["components"] if c["bom-ref"] == "cpython")
    assert cpython["version"] == "3.11.2" and props(cpython)["dh-pyrpath:origin"] == "debian:python3.11"
    assert re.fullmatch(r"3\.11\.2-[0-9][^ ]*", props(cpython)["dh-pyrpath:debian-source-version"])
    debian = components(doc, "pkg:deb/")
    depends = deb_field(deb, "Depends")
    assert {"libc6", "libssl3"} <= set(debian) and all(name in depends for name in debian)
    for dist in components(doc, "pkg:pypi/").values():
        if props(dist)["dh-pyrpath:installed-by"] != "project":
            assert len(dist["hashes"][0]["content"]) == 64, dist["name"]
    result = subprocess.run([pyrpath(), "audit", "--json", deb], capture_output=True, text=True)
    assert [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "sbom"] == []
    text = json.dumps(doc)
    assert built.source_dir not in text and "file://" not in text


def test_hello_sbom_hashes_what_pip_installed(hello_build):
    doc = sbom_of(hello_build.debs["hello-service"], "hello-service")
    dists = components(doc, "pkg:pypi/")
    assert {"markupsafe", "simplejson", "idna", "hello-service", "pip"} <= set(dists)
    assert dists["simplejson"]["version"] == "3.19.3" and dists["idna"]["purl"] == "pkg:pypi/idna@3.10"
    # simplejson was built here from its sdist: the hash is the sdist's, from pip's report.
    assert "dh-pyrpath:wheel" not in props(dists["simplejson"])
    assert props(dists["markupsafe"])["dh-pyrpath:wheel"] == "prebuilt"
    assert "hashes" not in dists["hello-service"]  # built from this source: no archive to name
    assert dists["markupsafe"].get("licenses"), dists["markupsafe"]


def test_imaging_sbom_lists_the_bundled_libraries(imaging_build):
    deb = imaging_build.debs["imaging-service"]
    doc = sbom_of(deb, "imaging-service")
    numpy = components(doc, "pkg:pypi/")["numpy"]
    libraries = numpy["components"]
    assert libraries and all("/numpy.libs/" in lib["evidence"]["occurrences"][0]["location"] for lib in libraries)
    for lib in libraries:
        location = lib["evidence"]["occurrences"][0]["location"]
        assert hashlib.sha256(deb_file(deb, location)).hexdigest() == lib["hashes"][0]["content"]
    assert any(props(lib).get("dh-pyrpath:soname", "").startswith("lib") for lib in libraries)
    assert "pillow" in components(doc, "pkg:pypi/")


def test_audit_reports_a_deb_whose_sbom_the_tree_contradicts(hello_build, tmp_path):
    tree = tmp_path / "tree"
    subprocess.run(["dpkg-deb", "-R", hello_build.debs["hello-service"], str(tree)], check=True)
    site = tree / "opt/hello-service/lib/python3.11/site-packages"
    metadata = next(site.glob("idna-*.dist-info")) / "METADATA"
    metadata.write_text(metadata.read_text().replace("Version: 3.10", "Version: 3.7"))
    deb = str(tmp_path / "tampered.deb")
    subprocess.run(["dpkg-deb", "-Zgzip", "-z1", "-b", str(tree), deb], check=True, capture_output=True)
    result = subprocess.run([pyrpath(), "audit", "--json", deb], capture_output=True, text=True)
    assert result.returncode == 1
    findings = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "sbom"]
    assert findings == [{"kind": "sbom", "path": "/opt/hello-service/lib/python3.11/site-packages/idna-3.10.dist-info",
                         "detail": "the SBOM says idna 3.10, the installed METADATA says idna 3.7"}]


@pytest.fixture(scope="module")
def twins_installed(twin_build):
    dpkg_install(*(twin_build.debs[p] for p in TWINS))
    yield twin_build
    dpkg_purge(*TWINS)


def inventory(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([pyrpath(), "inventory", *args], capture_output=True, text=True)


def test_inventory_lists_the_installed_twins(twins_installed):
    listing = inventory()
    assert listing.returncode == 0 and listing.stderr == "", listing.stdout + listing.stderr
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    for package in TWINS:
        assert rows[package][:4] == [package, "1.0.0", f"/opt/{package}", "3.11.2"]
        assert rows[package][4] == "debian:python3.11"
    data = json.loads(inventory("--json").stdout)["packages"]
    ours = {p["package"]: p for p in data if p["package"] in TWINS}
    assert {p: {d["name"]: d["version"] for d in ours[p]["distributions"]}["idna"] for p in TWINS} == TWINS
    assert all(p["problems"] == [] for p in ours.values())


def test_inventory_finds_the_old_pin_and_the_old_python(twins_installed):
    found = inventory("--find", "idna<3")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "twin-beta 1.0.0 /opt/twin-beta: idna 2.10" in found.stdout.splitlines()
    assert "twin-alpha" not in found.stdout
    machine = json.loads(inventory("--json", "--find", "IDNA>=3").stdout)
    assert [m for m in machine["matches"] if m["package"] in TWINS] == [
        {"package": "twin-alpha", "version": "1.0.0", "prefix": "/opt/twin-alpha", "carries": "idna 3.10"}]
    python = inventory("--python", "<3.11.9")
    assert python.returncode == 1 and {"twin-alpha", "twin-beta"} <= {l.split()[0] for l in python.stdout.splitlines()[1:]}
    assert "twin" not in inventory("--find", "urllib3<2.2.2").stdout


def test_inventory_reports_a_tampered_dist_info(twins_installed):
    metadata = "/opt/twin-alpha/lib/python3.11/site-packages/idna-3.10.dist-info/METADATA"
    with open(metadata, encoding="utf-8") as fd:
        original = fd.read()
    try:
        with open(metadata, "w", encoding="utf-8") as fd:
            fd.write(original.replace("Version: 3.10", "Version: 3.11"))
        result = inventory()
        assert result.returncode == 1
        assert ("MISMATCH twin-alpha: /opt/twin-alpha/lib/python3.11/site-packages/idna-3.10.dist-info: "
                "the SBOM says idna 3.10, the installed METADATA says idna 3.11") in result.stdout.splitlines()
    finally:
        with open(metadata, "w", encoding="utf-8") as fd:
            fd.write(original)
    assert inventory().returncode == 0

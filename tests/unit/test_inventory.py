"""pyrpath inventory's logic, and pyrpath audit's SBOM check, on synthetic installed trees."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from dh_pyrpath.audit.findings import Layout
from dh_pyrpath.audit.sbom import sbom_findings
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.sbom.distinfo import installed_distributions
from dh_pyrpath.sbom.inventory import examine, find, find_python, python_specifier, report_lines, requirement
from dh_pyrpath.sbom.model import CPython, Distribution, Library, Sbom, Subject, document, dumps

SBOM = "/usr/share/doc/{}/sbom.cdx.json"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYRPATH = os.path.join(ROOT, "debhelper", "pyrpath")


def write(path, text: str | bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fd:
        fd.write(text.encode() if isinstance(text, str) else text)


def install(root, package: str, pins: dict[str, str], version: str = "1.0-1", cpython: str = "3.11.2") -> Sbom:
    """An installed dh-pyrpath package: prefix, interpreter, dist-infos, one bundled library, its SBOM."""
    prefix = f"/opt/{package}"
    site = f"{prefix}/lib/python3.11/site-packages"
    write(f"{root}{prefix}/bin/python3.11", "#!/bin/false\n")
    library_bytes = b"\x7fELF not really"
    write(f"{root}{site}/fancy.libs/libz-1234.so.1", library_bytes)
    dists = []
    for name, pinned in sorted(pins.items()):
        location = f"{site}/{name}-{pinned}.dist-info"
        write(f"{root}{location}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {pinned}\n")
        libraries = (Library(f"{site}/fancy.libs/libz-1234.so.1", "libz-1234.so.1",
                             hashlib.sha256(library_bytes).hexdigest()),) if name == "fancy" else ()
        dists.append(Distribution(name, pinned, location, "0" * 64, libraries=libraries))
    sbom = Sbom(Subject(package, version, "amd64", prefix),
                CPython(cpython, "debian:python3.11", "a" * 64, False, None, "none", (), f"{prefix}/bin/python3.11"),
                tuple(dists), ())
    write(f"{root}{SBOM.format(package)}", dumps(document(sbom)))
    return sbom


def carrier(root, package: str, version: str = "1.0-1"):
    return examine(package, version, SBOM.format(package), str(root))


def test_consistent_package_has_nothing_to_report(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10", "fancy": "1.0"})
    found = carrier(tmp_path, "alpha")
    assert found.problems == () and found.installed == {"idna": "3.10", "fancy": "1.0"}
    lines = report_lines([found])
    assert lines[0].split() == ["PACKAGE", "VERSION", "PREFIX", "CPYTHON", "ORIGIN", "DISTRIBUTIONS"]
    assert lines[1].split() == ["alpha", "1.0-1", "/opt/alpha", "3.11.2", "debian:python3.11", "2"]


def test_tampered_dist_info_is_reported(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10"})
    metadata = tmp_path / "opt/alpha/lib/python3.11/site-packages/idna-3.10.dist-info/METADATA"
    metadata.write_text("Metadata-Version: 2.1\nName: idna\nVersion: 3.11\n")
    problems = carrier(tmp_path, "alpha").problems
    assert [p.line() for p in problems] == [
        "/opt/alpha/lib/python3.11/site-packages/idna-3.10.dist-info: the SBOM says idna 3.10, "
        "the installed METADATA says idna 3.11"]


def test_unlisted_and_missing_distributions_and_libraries(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10", "fancy": "1.0"})
    site = tmp_path / "opt/alpha/lib/python3.11/site-packages"
    write(f"{site}/urllib3-2.2.1.dist-info/METADATA", "Name: urllib3\nVersion: 2.2.1\n")
    os.unlink(site / "idna-3.10.dist-info/METADATA")
    write(f"{site}/fancy.libs/libz-1234.so.1", b"changed")
    details = sorted(p.detail for p in carrier(tmp_path, "alpha").problems)
    assert details == ["its sha256 is not the one the SBOM states",
                       "the SBOM lists idna 3.10 here, but the tree holds no such *.dist-info",
                       "urllib3 2.2.1 is installed but not in the SBOM"]


def test_dpkg_version_missing_prefix_and_missing_sbom(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10"})
    assert [p.detail for p in carrier(tmp_path, "alpha", "1.0-2").problems] == [
        "the SBOM is of version 1.0-1, dpkg has 1.0-2 installed"]
    os.rename(tmp_path / "opt/alpha", tmp_path / "opt/elsewhere")
    assert [p.line() for p in carrier(tmp_path, "alpha").problems] == ["/opt/alpha: the SBOM's prefix does not exist"]
    os.unlink(tmp_path / SBOM.format("alpha").lstrip("/"))
    missing = carrier(tmp_path, "alpha")
    assert missing.sbom is None and "dpkg lists this SBOM but it is not there" in missing.problems[0].detail


def test_an_sbom_not_written_by_dh_pyrpath_is_not_a_carrier(tmp_path):
    write(f"{tmp_path}{SBOM.format('other')}", '{"bomFormat": "CycloneDX", "specVersion": "1.6"}')
    assert carrier(tmp_path, "other") is None


def test_find_an_old_pin_across_packages(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10"})
    install(tmp_path, "beta", {"IDNA": "2.10"}, cpython="3.11.9")
    carriers = [carrier(tmp_path, "alpha"), carrier(tmp_path, "beta")]
    assert [(m.carrier.package, m.what) for m in find(carriers, requirement("idna<3"))] == [("beta", "IDNA 2.10")]
    assert [m.carrier.package for m in find(carriers, requirement("Idna>=2"))] == ["alpha", "beta"]
    assert find(carriers, requirement("urllib3<2.2.2")) == []
    assert [(m.carrier.package, m.what) for m in find_python(carriers, python_specifier("<3.11.9"))] == [
        ("alpha", "CPython 3.11.2")]


def test_find_uses_the_installed_version_too(tmp_path):
    install(tmp_path, "alpha", {"idna": "3.10"})
    metadata = tmp_path / "opt/alpha/lib/python3.11/site-packages/idna-3.10.dist-info/METADATA"
    metadata.write_text("Name: idna\nVersion: 2.0\n")
    assert [m.what for m in find([carrier(tmp_path, "alpha")], requirement("idna<3"))] == ["idna 2.0"]


@pytest.mark.parametrize("call,text,message", [
    (requirement, "urllib3<<2", "--find: 'urllib3<<2' is not a requirement"),
    (python_specifier, "3.11", "--python: '3.11' is not a version specifier"),
])
def test_bad_queries(call, text, message):
    with pytest.raises(PyrpathError, match=message):
        call(text)


def test_audit_finds_no_sbom_a_foreign_prefix_and_a_tree_that_disagrees(tmp_path):
    assert [f.line() for f in sbom_findings(Layout(str(tmp_path), "/opt/alpha"))] == [
        "sbom: /usr/share/doc/<package>/sbom.cdx.json: the package carries no SBOM (dh_pyrpath_sbom writes it, "
        "after dh_shlibdeps; a package built by an older dh-pyrpath has none)"]
    install(tmp_path, "alpha", {"idna": "3.10"})
    assert sbom_findings(Layout(str(tmp_path), "/opt/alpha")) == []
    assert "describes the prefix /opt/alpha, not /opt/beta" in sbom_findings(Layout(str(tmp_path), "/opt/beta"))[0].detail
    os.rename(tmp_path / "opt/alpha/lib/python3.11/site-packages/idna-3.10.dist-info",
              tmp_path / "opt/alpha/lib/python3.11/site-packages/idna-3.11.dist-info")
    details = sorted(f.detail for f in sbom_findings(Layout(str(tmp_path), "/opt/alpha")))
    assert details == ["the SBOM lists idna 3.10 here, but the tree holds no such *.dist-info"]


def test_inventory_command_errors_are_one_line():
    result = subprocess.run([PYRPATH, "inventory", "--find", "urllib3<<2"], capture_output=True, text=True)
    assert result.returncode == 255 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("pyrpath inventory: error: --find: ")


def test_egg_info_of_a_setup_py_install_counts_as_a_distribution(tmp_path):
    site = tmp_path / "opt/alpha/lib/python3.11/site-packages"
    write(f"{site}/simplejson-3.19.3-py3.11.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: simplejson\n"
                                                                 "Version: 3.19.3\nLicense: MIT License\n")
    write(f"{site}/six-1.16.0-py3.11.egg-info", "Metadata-Version: 1.0\nName: six\nVersion: 1.16.0\n")
    found = [(d.name, d.version, d.license_text) for d in installed_distributions(str(site))]
    assert found == [("simplejson", "3.19.3", "MIT License"), ("six", "1.16.0", None)]
    install(tmp_path, "alpha", {"idna": "3.10"})
    assert sorted(p.detail for p in carrier(tmp_path, "alpha").problems) == [
        "simplejson 3.19.3 is installed but not in the SBOM", "six 1.16.0 is installed but not in the SBOM"]

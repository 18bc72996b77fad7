"""The SBOM document builder and what the build steps record for it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest

from cdxschema import schema_errors
from dh_pyrpath.contract.invocation import BuildOptions
from dh_pyrpath.cpython.build import BuildRequest
from dh_pyrpath.cpython.relocate import BUILD_PREFIX
from dh_pyrpath.deps.pip import pip_report
from dh_pyrpath.sbom.collect import debian_dependencies, license_names
from dh_pyrpath.sbom.inputs import archive_sha256, load_cpython, pip_installs, record_cpython
from dh_pyrpath.sbom.model import (CPython, DebianDependency, Distribution, Library, Sbom, Subject, document, dumps,
                                   made_by_us, parse)

PREFIX = "/opt/svc"
SITE = f"{PREFIX}/lib/python3.11/site-packages"
CPY = CPython("3.11.2", "debian:python3.11", "a" * 64, False, "3.11.2-6+deb12u8", "lto",
              (f"--prefix={PREFIX}", "--enable-shared", "--with-lto"), f"{PREFIX}/bin/python3.11")
NUMPY = Distribution("numpy", "2.2.6", f"{SITE}/numpy-2.2.6.dist-info", "b" * 64, "BSD-3-Clause AND MIT", (),
                     "pip", True, (Library(f"{SITE}/numpy.libs/libgfortran-040039e1.so.5.0.0", "libgfortran-040039e1.so.5.0.0",
                                           "c" * 64),))
PROJECT = Distribution("Svc_Tool", "1.0+local", f"{SITE}/svc_tool-1.0+local.dist-info", None, None, ("MIT License",),
                       "project")


def sample(**changes) -> Sbom:
    fields = dict(subject=Subject("svc", "1.0-1", "amd64", PREFIX), cpython=CPY, distributions=(PROJECT, NUMPY),
                  debian=(DebianDependency("libssl3", "libssl3 (>= 3.0.0)"), DebianDependency("libc6", "libc6 (>= 2.34)")),
                  tool_version="0.1.0", timestamp=1764547200)
    fields.update(changes)
    return Sbom(**fields)


def component(doc: dict, ref: str) -> dict:
    return next(c for c in doc["components"] if c["bom-ref"] == ref)


def test_document_is_valid_cyclonedx_1_6():
    doc = document(sample())
    assert schema_errors(doc) == []
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX" and made_by_us(doc)
    assert doc["metadata"]["timestamp"] == "2025-12-01T00:00:00Z"
    assert doc["metadata"]["component"]["name"] == "svc" and doc["metadata"]["component"]["version"] == "1.0-1"


def test_components_say_what_a_cve_check_needs():
    doc = document(sample())
    cpython = component(doc, "cpython")
    assert cpython["version"] == "3.11.2" and cpython["cpe"] == "cpe:2.3:a:python:python:3.11.2:*:*:*:*:*:*:*"
    assert {"name": "dh-pyrpath:debian-source-version", "value": "3.11.2-6+deb12u8"} in cpython["properties"]
    assert {"name": "dh-pyrpath:configure-args", "value": "--prefix=/opt/svc --enable-shared --with-lto"} \
        in cpython["properties"]
    numpy = component(doc, "pkg:pypi/numpy@2.2.6")
    assert numpy["licenses"] == [{"expression": "BSD-3-Clause AND MIT"}]
    assert numpy["hashes"] == [{"alg": "SHA-256", "content": "b" * 64}]
    library = numpy["components"][0]
    assert library["name"] == "libgfortran-040039e1.so.5.0.0" and library["hashes"][0]["content"] == "c" * 64
    project = component(doc, "pkg:pypi/svc-tool@1.0%2Blocal")
    assert "hashes" not in project and project["licenses"] == [{"license": {"name": "MIT License"}}]
    libc = component(doc, "pkg:deb/debian/libc6?arch=amd64")
    assert {"name": "dh-pyrpath:relation", "value": "libc6 (>= 2.34)"} in libc["properties"]
    assert doc["dependencies"][0]["ref"] == "svc" and len(doc["dependencies"][0]["dependsOn"]) == 5


def test_same_content_same_bytes_and_serial_from_the_content():
    first, again = dumps(document(sample())), dumps(document(sample(distributions=(NUMPY, PROJECT))))
    assert first == again  # input order does not matter
    other = document(sample(subject=Subject("svc", "1.0-2", "amd64", PREFIX)))
    assert json.loads(first)["serialNumber"] != other["serialNumber"]
    assert json.loads(first)["serialNumber"].startswith("urn:uuid:")


def test_no_timestamp_without_source_date_epoch():
    assert "timestamp" not in document(sample(timestamp=None))["metadata"]


def test_parse_reads_back_what_document_wrote():
    read = parse(json.loads(dumps(document(sample()))))
    assert read.subject == sample().subject and read.cpython == CPY
    assert {(d.name, d.version, d.location) for d in read.distributions} == \
        {(d.name, d.version, d.location) for d in (NUMPY, PROJECT)}
    assert next(d for d in read.distributions if d.name == "numpy").libraries == NUMPY.libraries
    assert sorted(d.name for d in read.debian) == ["libc6", "libssl3"]


def test_shlibs_depends_become_debian_dependencies(tmp_path):
    substvars = tmp_path / "svc.substvars"
    substvars.write_text("misc:Depends=\nshlibs:Depends=libc6 (>= 2.34), libssl3 (>= 3.0.0), libgcc-s1 | libgcc1,"
                         " libc6 (>= 2.14)\n")
    found = debian_dependencies(str(substvars))
    assert [d.name for d in found] == ["libc6", "libgcc-s1", "libgcc1", "libssl3"]
    assert found[0].relation == "libc6 (>= 2.14), libc6 (>= 2.34)"
    assert debian_dependencies(str(tmp_path / "missing")) == []


def test_license_field_is_a_name_unless_it_is_the_licence_text():
    assert license_names("Apache 2.0", ("Apache Software License",)) == ("Apache 2.0",)
    assert license_names("Permission is hereby granted...\nfree of charge", ("MIT License",)) == ("MIT License",)
    assert license_names(None, ()) == ()


@pytest.mark.parametrize("info,digest", [
    ({"archive_info": {"hashes": {"sha256": "d" * 64}, "hash": "sha256=" + "d" * 64}}, "d" * 64),  # pip >= 23
    ({"archive_info": {"hash": "sha256=" + "e" * 64}}, "e" * 64),                                 # pip 22
    ({"archive_info": {"hash": "md5=ffff"}}, None),
    ({"dir_info": {}}, None),
])
def test_archive_digest_from_pip_reports_of_either_age(info, digest):
    assert archive_sha256(info) == digest


def test_archive_digest_of_a_local_wheel_pip_did_not_hash(tmp_path):
    wheel = tmp_path / "idna-3.10-py3-none-any.whl"
    wheel.write_bytes(b"a wheel")
    info = {"url": wheel.as_uri(), "archive_info": {}}
    assert archive_sha256(info) == hashlib.sha256(b"a wheel").hexdigest()


def test_pip_installs_keeps_hashes_but_not_of_the_project(source_tree):
    report = {"version": "1", "install": [
        {"is_direct": False, "metadata": {"name": "IDNA", "version": "3.10"},
         "download_info": {"url": "https://files.example/idna-3.10-py3-none-any.whl",
                           "archive_info": {"hashes": {"sha256": "f" * 64}}}},
        {"is_direct": True, "metadata": {"name": "svc", "version": "1.0"},
         "download_info": {"url": "file:///build/dist/svc-1.0-py3-none-any.whl",
                           "archive_info": {"hashes": {"sha256": "0" * 64}}}},
    ]}
    path = pip_report("svc-arch", "requirements")
    assert os.path.isabs(path)
    with open(path, "w", encoding="utf-8") as fd:
        json.dump(report, fd)
    found = pip_installs("svc-arch")
    assert found[("idna", "3.10")].sha256 == "f" * 64 and not found[("idna", "3.10")].direct
    assert found[("svc", "1.0")].sha256 is None and found[("svc", "1.0")].direct


def test_dh_runs_the_sbom_after_shlibdeps_and_prebuilt_before_md5sums(source_tree):
    source_tree("debian/changelog", "demo (1.0-1) unstable; urgency=medium\n\n  * Test.\n\n"
                                    " -- Test <test@example.org>  Tue, 24 Nov 2026 07:00:00 +0000\n")
    source_tree("debian/svc-arch.pyrpath", "")
    with open("debian/control", encoding="utf-8") as fd:
        control = fd.read()
    source_tree("debian/control", control.replace("Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath",
                                                  "Build-Depends: debhelper-compat (= 13)"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PERL5LIB=os.path.join(root, "perl5"),
               PATH=os.path.join(root, "debhelper") + ":" + os.environ["PATH"])
    result = subprocess.run(["dh", "binary-arch", "--no-act", "--with", "pyrpath"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    commands = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    order = [commands.index(c) for c in ("dh_shlibdeps", "dh_pyrpath_prebuilt", "dh_pyrpath_sbom", "dh_md5sums",
                                         "dh_builddeb")]
    assert order == sorted(order), commands


def test_cpython_record_of_a_vendored_source_names_no_build_path(source_tree, tmp_path):
    request = BuildRequest("f" * 64, (3, 11, 2), BUILD_PREFIX, ("--with-lto",), BuildOptions(nolto=True), "pgo+lto")
    record = record_cpython("svc-arch", "cpython/ (vendored debian:python3.11)", "f" * 64, True,
                            str(tmp_path / "cpython"), request, PREFIX)
    assert record.debian_source_version is None and record.optimize == "pgo"
    assert record.configure_args[0] == f"--prefix={PREFIX}" and BUILD_PREFIX not in " ".join(record.configure_args)
    assert load_cpython("svc-arch", "dh_pyrpath_sbom") == record
    tarball = record_cpython("svc-arch", "debian:python3.11", "f" * 64, False, str(tmp_path / "x.orig.tar.xz"),
                             request, PREFIX)
    assert tarball.debian_source_version is None  # no private apt lists beside it
    with open("debian/.debhelper/pyrpath/svc-arch/sbom/cpython.json", encoding="utf-8") as fd:
        assert str(tmp_path) not in fd.read()

"""The example service: built with dpkg-buildpackage, installed with dpkg -i, isolated."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

import debs
from dh_pyrpath.audit.buildpath import files_containing
from debs import dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "hello-service"
PREFIX = "/opt/hello-service"
PYTHON = f"{PREFIX}/bin/python3.11"

@pytest.fixture(scope="module")
def installed(hello_build):
    dpkg_install(hello_build.debs[PKG])
    yield hello_build
    dpkg_purge(PKG)


def probe() -> dict:
    return debs.probe(PYTHON, "markupsafe._speedups", "simplejson", "hello_service")


def deb_field(deb: str, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", deb, field], check=True, capture_output=True, text=True).stdout


def test_lintian_reports_no_error(hello_build):
    result = subprocess.run(["lintian", "--fail-on", "error", hello_build.debs[PKG]], capture_output=True, text=True)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    assert errors == [] and result.returncode == 0, result.stdout + result.stderr


def test_shlibs_depends_names_debian_libraries_not_libpython(hello_build):
    depends = deb_field(hello_build.debs[PKG], "Depends")
    assert "libssl3" in depends and "libffi8" in depends
    assert "libpython3" not in depends


def test_static_built_using_names_the_debian_python_it_compiled(hello_build):
    """Python-Source: debian:python3.11 -> Static-Built-Using: python3.11 (= the Debian source version), unasked."""
    field = deb_field(hello_build.debs[PKG], "Static-Built-Using").strip()
    match = re.fullmatch(r"python3\.11 \(= (3\.11\.2-[0-9][^)]*)\)", field)
    assert match, field
    sbom = subprocess.run(f"dpkg-deb --fsys-tarfile {hello_build.debs[PKG]} | tar -xOf - "
                          f"./usr/share/doc/{PKG}/sbom.cdx.json", shell=True, check=True, capture_output=True,
                          text=True).stdout
    assert match.group(1) in sbom  # the same Debian version the SBOM says the CPython source came from


def test_no_shlibs_file_or_ldconfig_trigger_for_private_libpython(hello_build, tmp_path):
    subprocess.run(["dpkg-deb", "-e", hello_build.debs[PKG], str(tmp_path / "ctrl")], check=True)
    assert not (tmp_path / "ctrl" / "shlibs").exists()
    triggers = tmp_path / "ctrl" / "triggers"
    assert not triggers.exists() or "ldconfig" not in triggers.read_text()


def test_no_build_path_in_any_shipped_file(hello_build, tmp_path):
    subprocess.run(["dpkg-deb", "-x", hello_build.debs[PKG], str(tmp_path / "root")], check=True)
    build_root = os.path.dirname(hello_build.source_dir)
    assert files_containing(str(tmp_path / "root"), [build_root]) == []


def test_no_file_url_in_direct_url_json(hello_build, tmp_path):
    subprocess.run(["dpkg-deb", "-x", hello_build.debs[PKG], str(tmp_path / "root")], check=True)
    for dirpath, _, names in os.walk(tmp_path / "root"):
        if "direct_url.json" in names:
            assert "file:" not in open(os.path.join(dirpath, "direct_url.json")).read()


def test_sys_path_holds_only_the_prefix(installed):
    report = probe()
    assert report["prefix"] == PREFIX
    assert report["path"] and all(p.startswith(PREFIX + "/") for p in report["path"]), report["path"]


def test_every_loaded_module_lives_under_the_prefix(installed):
    report = probe()
    assert report["outside"] == []
    assert report["json"] == f"{PREFIX}/lib/python3.11/json/__init__.py"
    assert report["files"]["markupsafe._speedups"].startswith(f"{PREFIX}/lib/python3.11/site-packages/markupsafe/")


def test_interpreter_is_linked_with_the_core_and_libpython_ships_for_embedders(installed):
    """bin/python3.11 maps no libpython from anywhere; lib/libpython3.11.so.1.0 finds its own lib/."""
    assert probe()["libpython"] == []
    ldd = subprocess.run(["ldd", PYTHON], check=True, capture_output=True, text=True).stdout
    assert "libpython" not in ldd, ldd
    assert debs.dynamic_section(f"{PREFIX}/lib/libpython3.11.so.1.0")["RUNPATH"] == ["$ORIGIN/../lib"]
    # extension modules resolve Py* against the executable: it exports them (-export-dynamic)
    symbols = subprocess.run(["readelf", "--dyn-syms", "-W", PYTHON], check=True, capture_output=True,
                             text=True).stdout
    assert any(line.split()[-1] == "PyLong_FromLong" and " UND " not in line for line in symbols.splitlines()
               if line.split())


def test_staged_interpreter_runs_the_staged_tree_only(installed):
    """At build time the staged interpreter must not pick up the system's or an installed libpython or stdlib."""
    assert os.path.exists("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0") or os.path.exists(
        "/usr/lib/libpython3.11.so.1.0"), "make check installs libpython3.11 for this test"
    assert os.path.exists(f"{PREFIX}/lib/libpython3.11.so.1.0")  # an installed copy is there too
    staged = os.path.join(installed.source_dir, "debian/.debhelper/pyrpath", PKG, "stage") + PREFIX
    out = subprocess.run([f"{staged}/bin/python3.11", "-I", "-c",
                          "import os, sys, _ssl\n"
                          "maps = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libpython' in l})\n"
                          "print(*maps, sys.prefix, os.__file__, _ssl.__file__)"],
                         check=True, capture_output=True, text=True).stdout.split()
    assert out[0] == staged and out[1] == f"{staged}/lib/python3.11/os.py", out  # and no libpython before them
    assert out[2].startswith(f"{staged}/lib/python3.11/lib-dynload/_ssl."), out


def test_console_script_linked_into_usr_bin(installed):
    assert os.readlink("/usr/bin/hello-service") == f"{PREFIX}/bin/hello-service"
    with open(f"{PREFIX}/bin/hello-service", "rb") as fd:
        assert fd.readline() == f"#!{PYTHON}\n".encode()


def test_systemd_unit_installed(installed):
    units = [p for p in ("/lib/systemd/system/hello-service.service", "/usr/lib/systemd/system/hello-service.service")
             if os.path.exists(p)]
    assert units and f"{PREFIX}/bin/hello-service" in open(units[0]).read()


def test_service_answers_over_loopback(installed):
    port = free_port()
    with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
        body = http_get(server, f"http://127.0.0.1:{port}/info")
        assert json.loads(body)["prefix"] == PREFIX
        assert json.loads(body)["modules_outside_prefix"] == []
        assert json.loads(http_get(server, f"http://127.0.0.1:{port}/?name=x"))["hello"] == "x"


def test_purge_leaves_nothing_under_the_prefix(installed):
    probe()  # let the interpreter run once more, as a service would
    dpkg_purge(PKG)
    assert not os.path.exists(PREFIX)
    assert not os.path.lexists("/usr/bin/hello-service")

"""A service nobody here wrote (pypiserver from PyPI), packaged from debian/ alone."""

from __future__ import annotations

import os
import subprocess

import pytest

from debs import dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "pypiserver-service"
PREFIX = "/opt/pypiserver-service"


@pytest.fixture(scope="module")
def installed(pypiserver_build):
    dpkg_install(pypiserver_build.debs[PKG])
    yield pypiserver_build
    dpkg_purge(PKG)


def test_lintian_reports_no_error(pypiserver_build):
    result = subprocess.run(["lintian", "--fail-on", "error", pypiserver_build.debs[PKG]], capture_output=True, text=True)
    assert [l for l in result.stdout.splitlines() if l.startswith("E:")] == [] and result.returncode == 0, result.stdout


def test_serves_packages_from_its_own_prefix(installed, tmp_path):
    (tmp_path / "demo_pkg-1.0.tar.gz").write_bytes(b"not really a tarball")
    port = free_port()
    with running(["/usr/bin/pypi-server", "run", "-i", "127.0.0.1", "-p", str(port), str(tmp_path)]) as server:
        assert "demo_pkg" in http_get(server, f"http://127.0.0.1:{port}/simple/").replace("-", "_")
        pid = server.pid
        with open(f"/proc/{pid}/maps") as maps:
            libs = {line.split()[-1] for line in maps if "libpython" in line or "/python3" in line}
        assert libs and all(lib.startswith(PREFIX + "/") for lib in libs), libs
        assert os.readlink(f"/proc/{pid}/exe") == f"{PREFIX}/bin/python3.11"


def test_purge_removes_the_prefix(installed):
    dpkg_purge(PKG)
    assert not os.path.exists(PREFIX)

"""Two services from one source package pin conflicting versions and both work."""

from __future__ import annotations

import json
import subprocess

import pytest

from debs import dpkg_install, dpkg_purge

pytestmark = pytest.mark.slow

VERSIONS = {"twin-alpha": "3.10", "twin-beta": "2.10"}


@pytest.fixture(scope="module")
def installed(twin_build):
    dpkg_install(*(twin_build.debs[p] for p in VERSIONS))
    yield twin_build
    dpkg_purge(*VERSIONS)


@pytest.mark.parametrize("package", sorted(VERSIONS))
def test_each_service_imports_its_own_pin(installed, package):
    prefix = f"/opt/{package}"
    out = subprocess.run([f"{prefix}/bin/python3.11", "-I", "-c",
                          "import idna, json, sys; print(json.dumps([idna.__version__, idna.__file__, sys.prefix]))"],
                         check=True, capture_output=True, text=True).stdout
    version, path, sys_prefix = json.loads(out)
    assert version == VERSIONS[package]
    assert path.startswith(prefix + "/") and sys_prefix == prefix


def test_both_installed_side_by_side(installed):
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n", *VERSIONS],
                            capture_output=True, text=True).stdout
    assert status.count("install ok installed") == 2


def test_one_cpython_build_serves_both_prefixes(twin_build):
    """The CPython tree is relocatable: two prefixes, at most one compilation (none if cached)."""
    with open(twin_build.log, encoding="utf-8", errors="replace") as fd:
        log = fd.read()
    built, reused = log.count("dh_pyrpath_buildpython: built CPython"), log.count("reusing cached CPython")
    assert built + reused == 2 and built <= 1, log[-3000:]
    assert "relocated to /opt/twin-alpha" in log or "relocated to /opt/twin-beta" in log

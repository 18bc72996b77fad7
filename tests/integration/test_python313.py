"""The example on CPython 3.13 (trixie's python3.13 upstream tarball), built on bookworm."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from debs import EXAMPLES, assert_isolated, build_example, dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "hello-service"
PREFIX = "/opt/hello-service"


@pytest.fixture(scope="module")
def installed313(tmp_path_factory):
    examples = str(tmp_path_factory.mktemp("examples313"))
    shutil.copytree(os.path.join(EXAMPLES, PKG), os.path.join(examples, PKG))
    with open(os.path.join(examples, PKG, "debian", f"{PKG}.pyrpath"), "w") as fd:
        fd.write("Python-Source: debian:python3.13\nLinks: hello-service\n")
    built = build_example(PKG, str(tmp_path_factory.mktemp("hello313")), examples=examples)
    dpkg_install(built.debs[PKG])
    yield built
    dpkg_purge(PKG)


def test_service_runs_isolated_on_cpython_313(installed313):
    report = assert_isolated(f"{PREFIX}/bin/python3.13", PREFIX, "3.13", "markupsafe._speedups", "simplejson")
    assert report["files"]["markupsafe._speedups"].startswith(f"{PREFIX}/lib/python3.13/site-packages/markupsafe/")
    port = free_port()
    with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
        info = json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))
    assert info["version"].startswith("3.13.") and info["modules_outside_prefix"] == []
    assert info["libpython"] is None  # linked with the core; assert_isolated checks the shipped libpython

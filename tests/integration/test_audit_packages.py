"""pyrpath audit on real packages: the example is isolated, dh-virtualenv's package of it is not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from debs import EXAMPLES, ROOT, Built, build_example, dpkg_install, dpkg_purge, tool_is_installed

pytestmark = pytest.mark.slow

PKG = "hello-service"
VENV_PKG = "hello-service-venv"
VENV_PREFIX = f"/opt/venvs/{VENV_PKG}"
BENCH = os.path.join(ROOT, "bench", "dh-virtualenv", "hello-service")


def pyrpath() -> str:
    """The installed pyrpath when dh-pyrpath is installed, else the checkout's."""
    return "/usr/bin/pyrpath" if tool_is_installed() else os.path.join(ROOT, "debhelper", "pyrpath")


def audit(*args: str) -> tuple[int, dict]:
    result = subprocess.run([pyrpath(), "audit", "--json", *args], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def kinds(report: dict) -> set[str]:
    return {finding["kind"] for finding in report["findings"]}


@pytest.fixture(scope="module")
def venv_build(tmp_path_factory) -> Built:
    """examples/hello-service with bench/dh-virtualenv/hello-service/debian swapped in, built."""
    assert shutil.which("dh_virtualenv"), "dh-virtualenv is not installed (make deps-test installs it)"
    workdir = tmp_path_factory.mktemp("venv")
    sources = workdir / "src"
    shutil.copytree(os.path.join(EXAMPLES, PKG), sources / VENV_PKG, ignore=shutil.ignore_patterns("debian"))
    shutil.copytree(os.path.join(BENCH, "debian"), sources / VENV_PKG / "debian")
    return build_example(VENV_PKG, str(workdir), examples=str(sources))


@pytest.fixture(scope="module")
def hello_installed(hello_build):
    dpkg_install(hello_build.debs[PKG])
    yield hello_build
    dpkg_purge(PKG)


@pytest.fixture(scope="module")
def venv_installed(venv_build):
    dpkg_install(venv_build.debs[VENV_PKG])
    yield venv_build
    dpkg_purge(VENV_PKG)


def test_example_deb_has_no_findings(hello_build):
    status, report = audit(hello_build.debs[PKG])
    assert status == 0 and report["isolated"] and report["findings"] == [], report["findings"]
    assert report["prefix"] == "/opt/hello-service"
    assert report["checked"]["elf_files"] > 50 and report["checked"]["scripts"] > 5


def test_installed_example_prefix_has_no_findings(hello_installed):
    status, report = audit("/opt/hello-service")
    assert status == 0 and report["findings"] == [], report["findings"]
    assert report["checked"]["modules_loaded"] > 100


def test_human_summary_of_the_example(hello_build):
    result = subprocess.run([pyrpath(), "audit", hello_build.debs[PKG]], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("pyrpath audit: ") and "isolated, no findings" in result.stdout


def test_dh_virtualenv_deb_is_not_isolated(venv_build):
    status, report = audit(venv_build.debs[VENV_PKG])
    assert status == 1 and not report["isolated"]
    assert report["prefix"] == VENV_PREFIX
    found = {(f["kind"], f["path"]) for f in report["findings"]}
    assert ("interpreter", f"{VENV_PREFIX}/pyvenv.cfg") in found
    assert ("interpreter", f"{VENV_PREFIX}/bin/python3") in found  # a link to /usr/bin/python3
    assert ("interpreter", f"{VENV_PREFIX}/lib/python3.11/os.py") in found  # no stdlib of its own
    assert ("shebang", f"{VENV_PREFIX}/bin/hello-service") in found


def test_installed_dh_virtualenv_prefix_imports_from_the_system(venv_installed):
    status, report = audit(VENV_PREFIX)
    assert status == 1 and {"interpreter", "module", "sys.path"} <= kinds(report)
    modules = [f["path"] for f in report["findings"] if f["kind"] == "module"]
    assert "/usr/lib/python3.11/os.py" in modules
    assert any(path.startswith("/usr/lib/python3.11/lib-dynload/_ssl") for path in modules)
    result = subprocess.run([pyrpath(), "audit", VENV_PREFIX], capture_output=True, text=True)
    assert result.returncode == 1 and "NOT isolated" in result.stdout.splitlines()[0]

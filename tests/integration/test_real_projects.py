"""Real projects from PyPI, one per build backend, adopted the way their maintainer would.

Each is its own sdist, unpacked as it is, plus a debian/ directory kept in
tests/integration/projects/<name>/debian: plain `dh $@`, Build-Depends on
dh-sequence-pyrpath, a .pyrpath file with Python-Source and Links, and the
project's run-time dependencies pinned; the build backend comes from PyPI
at build time (pip's isolated build). Each is built once per test session.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from debs import Built, assert_isolated, build_tree, dpkg_install, dpkg_purge
from sdists import PROJECTS, Project, unpack_with_debian

pytestmark = pytest.mark.slow

PYTHON_VERSION = "3.11"


@pytest.fixture(scope="session", params=PROJECTS, ids=lambda p: p.name)
def project_build(request, tmp_path_factory) -> tuple[Project, Built]:
    project = request.param
    workdir = str(tmp_path_factory.mktemp(project.package))
    src = unpack_with_debian(project, workdir)
    return project, build_tree(src, project.package, workdir)


@pytest.fixture(scope="session")
def installed(project_build) -> Project:
    project, built = project_build
    dpkg_install(built.debs[project.package])
    yield project
    dpkg_purge(project.package)


def test_lintian_reports_no_error(project_build):
    project, built = project_build
    result = subprocess.run(["lintian", "--fail-on", "error", built.debs[project.package]], capture_output=True, text=True)
    assert [l for l in result.stdout.splitlines() if l.startswith("E:")] == [] and result.returncode == 0, result.stdout


def test_console_script_runs_from_usr_bin(installed, tmp_path):
    project = installed
    (tmp_path / "README.md").write_text("# Adopted\n")
    args = project.args or ("README.md",)
    result = subprocess.run([f"/usr/bin/{project.script}", *args], input=project.stdin, capture_output=True,
                            text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert project.expect in result.stdout, result.stdout
    with open(os.path.realpath(f"/usr/bin/{project.script}"), encoding="utf-8") as fd:
        assert fd.readline() == f"#!{project.prefix}/bin/python{PYTHON_VERSION}\n"


def test_every_module_it_loads_is_under_the_prefix(installed):
    project = installed
    python = f"{project.prefix}/bin/python{PYTHON_VERSION}"
    report = assert_isolated(python, project.prefix, PYTHON_VERSION, project.module)
    assert report["files"][project.module].startswith(f"{project.prefix}/lib/python{PYTHON_VERSION}/site-packages/")


def test_installed_version_is_the_sdists(installed):
    """setuptools-scm and pdm's scm version read PKG-INFO when there is no git: the version is the release's."""
    project = installed
    python = f"{project.prefix}/bin/python{PYTHON_VERSION}"
    version = subprocess.run([python, "-I", "-c", f"import importlib.metadata as m; print(m.version({project.name!r}))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    assert version == project.version


def test_its_own_tests_passed_and_stayed_out_of_the_package(project_build):
    """dh_auto_test ran the Test-Command with the private interpreter; pytest is not in the .deb."""
    project, built = project_build
    if not project.runs_its_tests:
        pytest.skip(f"{project.name} has no Test-Command")
    with open(os.path.join(built.source_dir, "debian", ".debhelper", "pyrpath", project.package, "test.log"),
              encoding="utf-8") as fd:
        log = fd.read()
    assert "Successfully installed" in log and "pytest-8.3.3" in log
    summary = log.rstrip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    contents = subprocess.run(["dpkg-deb", "-c", built.debs[project.package]], check=True, capture_output=True,
                              text=True).stdout
    assert "site-packages/pytest" not in contents and "site-packages/pluggy" not in contents
    assert f".{project.prefix}/bin/{project.script}" in contents


def test_purge_removes_the_prefix(installed):
    dpkg_purge(installed.package)
    assert not os.path.exists(installed.prefix)
    assert not os.path.lexists(f"/usr/bin/{installed.script}")

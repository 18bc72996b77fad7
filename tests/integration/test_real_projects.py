"""Real projects from PyPI, one per build backend, adopted the way their maintainer would.

Each is its own sdist, unpacked as it is, plus a debian/ directory kept in
tests/integration/projects/<name>/debian: plain `dh $@`, Build-Depends on
dh-sequence-pyrpath, a .pyrpath file with Python-Source and Links, and the
project's run-time dependencies pinned; the build backend comes from PyPI
at build time (pip's isolated build). Each is built once per test session.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from chroot import cache_dir
from debs import Built, assert_isolated, build_tree, dpkg_install, dpkg_purge

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECTS_DIR = os.path.join(HERE, "projects")
PYTHON_VERSION = "3.11"


@dataclass(frozen=True)
class Project:
    """A PyPI sdist and what its console script should do once installed."""

    name: str
    version: str
    backend: str
    script: str
    module: str  # the module the console script runs
    args: tuple[str, ...]
    stdin: str
    expect: str  # in the script's standard output

    @property
    def package(self) -> str:
        return "pyrpath-" + self.name.removesuffix("-py")

    @property
    def prefix(self) -> str:
        return f"/opt/{self.package}"


PROJECTS = (
    Project("tabulate", "0.8.10", "setuptools (setup.py only)", "tabulate", "tabulate",
            ("-f", "grid"), "alpha 1\nbeta 2\n", "| alpha | 1 |"),
    Project("bashate", "2.1.1", "pbr (setup.cfg)", "bashate", "bashate.bashate",
            ("--version",), "", "2.1.1"),
    Project("userpath", "1.9.2", "hatchling", "userpath", "userpath.cli",
            ("--version",), "", "1.9.2"),
    Project("markdown-it-py", "3.0.0", "flit-core", "markdown-it", "markdown_it.cli.parse",
            (), "", "<h1>Adopted</h1>"),
    Project("isort", "5.13.2", "poetry-core", "isort", "isort.main",
            ("-",), "import sys\nimport os\n", "import os\nimport sys\n"),
    Project("findpython", "0.6.2", "pdm-backend (scm version from PKG-INFO)", "findpython", "findpython.__main__",
            ("--help",), "", "usage: findpython"),
    Project("shtab", "1.7.1", "setuptools + setuptools-scm (version from PKG-INFO)", "shtab", "shtab.main",
            ("--version",), "", "1.7.1"),
)


def fetch_sdist(project: Project) -> str:
    """The project's sdist, downloaded from PyPI once into the test cache."""
    cache = os.path.join(cache_dir(), "sdists")
    found = sdists_in(cache, project)
    if found:
        return found[0]
    os.makedirs(cache, exist_ok=True)
    incoming = os.path.join(cache, f".incoming-{os.getpid()}")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--no-binary", ":all:", f"{project.name}=={project.version}", "-d", incoming],
                   check=True, stdin=subprocess.DEVNULL)
    (sdist,) = sdists_in(incoming, project)
    final = os.path.join(cache, os.path.basename(sdist))
    os.replace(sdist, final)
    shutil.rmtree(incoming)
    return final


def sdists_in(directory: str, project: Project) -> list[str]:
    names = {project.name, project.name.replace("-", "_")}
    return [p for name in names for p in glob.glob(os.path.join(directory, f"{name}-{project.version}.tar.gz"))]


def unpack_with_debian(project: Project, workdir: str) -> str:
    """The unpacked sdist with the project's debian/ directory beside its files."""
    unpacked = os.path.join(workdir, "unpacked")
    os.makedirs(unpacked)
    subprocess.run(["tar", "-xzf", fetch_sdist(project), "-C", unpacked], check=True)
    (top,) = os.listdir(unpacked)
    src = os.path.join(workdir, f"{project.package}-{project.version}")
    os.rename(os.path.join(unpacked, top), src)
    os.rmdir(unpacked)
    shutil.copytree(os.path.join(PROJECTS_DIR, project.name, "debian"), os.path.join(src, "debian"))
    return src


@pytest.fixture(scope="session", params=PROJECTS, ids=lambda p: p.name)
def project_build(request, tmp_path_factory) -> tuple[Project, Built]:
    project = request.param
    workdir = str(tmp_path_factory.mktemp(project.package))
    src = unpack_with_debian(project, workdir)
    return project, build_tree(src, f"{project.name} [{project.backend}]", workdir)


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


def test_purge_removes_the_prefix(installed):
    dpkg_purge(installed.package)
    assert not os.path.exists(installed.prefix)
    assert not os.path.lexists(f"/usr/bin/{installed.script}")

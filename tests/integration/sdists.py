"""The real projects of test_real_projects: their sdists from PyPI, unpacked with their debian/ directory."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from chroot import cache_dir

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECTS_DIR = os.path.join(HERE, "projects")


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
    runs_its_tests: bool = False  # its .pyrpath has a Test-Command

    @property
    def package(self) -> str:
        return "pyrpath-" + self.name.removesuffix("-py")

    @property
    def prefix(self) -> str:
        return f"/opt/{self.package}"


PROJECTS = (
    Project("tabulate", "0.8.10", "setuptools (setup.py only)", "tabulate", "tabulate",
            ("-f", "grid"), "alpha 1\nbeta 2\n", "| alpha | 1 |", runs_its_tests=True),
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

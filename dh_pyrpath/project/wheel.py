"""Build the source tree's own project as a wheel and install it into the staged tree."""

from __future__ import annotations

import glob
import os
import shutil

from dh_pyrpath.config import PackageConfig
from dh_pyrpath.deps.pip import BUILD_OPTIONS, index_options, report_options, run_pip
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.staging import StagedTree, state_dir
from dh_pyrpath.trees import remove_tree

# Top-level entries of a source package that are packaging, not the project.
NOT_PROJECT = ("debian", ".git", ".pc", ".pybuild", "cpython", "wheels")


def copy_project(dest: str) -> str:
    """Copy the project out of the source tree so its build leaves the tree clean."""
    remove_tree(dest)
    shutil.copytree(".", dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == "." and n in NOT_PROJECT])
    return dest


def build_wheel(tree: StagedTree, config: PackageConfig, log: str) -> str:
    """pip wheel --no-deps of the project; returns the wheel's path."""
    work = os.path.join(state_dir(config.package), "project")
    src = copy_project(os.path.join(work, "src"))
    dist = os.path.join(work, "dist")
    remove_tree(dist)
    run_pip(tree, config, ["wheel", "--no-deps", *BUILD_OPTIONS, "--wheel-dir", os.path.abspath(dist), *index_options(config),
                           os.path.abspath(src)], log, "building the project's wheel")
    wheels = glob.glob(os.path.join(dist, "*.whl"))
    if len(wheels) != 1:
        raise PyrpathError(f"building the project's wheel gave {len(wheels)} wheels in {dist}; see {log}")
    remove_tree(src)
    return wheels[0]


def install_wheel(tree: StagedTree, config: PackageConfig, wheel: str, log: str) -> None:
    """pip install the project's wheel; dependencies come from the same index as the pins."""
    run_pip(tree, config, ["install", "--no-compile", "--no-warn-script-location", *index_options(config),
                           *report_options(tree, "project"), wheel],
            log, f"pip install of {os.path.basename(wheel)}")

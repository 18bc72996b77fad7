"""Run a project's own tests with its private interpreter, in throwaway copies.

The staged tree is copied (and relocated to where the copy is, so its
scripts and sysconfig name the copy), the test requirements are installed
into that copy only, and the Test-Command runs in a copy of the source tree
with the copy's bin first on PATH. Nothing of it reaches the package: the
stage is left as it was, and both copies are removed afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dh_pyrpath.config import PackageConfig
from dh_pyrpath.contract.runner import run
from dh_pyrpath.cpython.relocate import relocate
from dh_pyrpath.deps.pip import BUILD_OPTIONS, index_options, run_pip
from dh_pyrpath.project.wheel import copy_project
from dh_pyrpath.staging import StagedTree, state_dir
from dh_pyrpath.trees import BYTECODE, copy_tree, remove_tree

# Variables that would point the private interpreter at another Python's files.
_FOREIGN_PYTHON = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")


@dataclass(frozen=True)
class TestRun:
    """Where one package's tests run, and their log."""

    tree: StagedTree  # the throwaway copy of the staged tree
    source: str  # the throwaway copy of the source tree
    log: str


def test_dirs(package: str) -> tuple[str, str]:
    """The DESTDIR of the tree's copy and the source tree's copy.

    The first is shorter than the stage's DESTDIR, as relocating the ELF
    search paths in place needs.
    """
    state = os.path.abspath(state_dir(package))
    return os.path.join(state, "test"), os.path.join(state, "test-source")


def prepare(stage: StagedTree) -> TestRun:
    """Fresh copies of the staged tree and of the source tree; the interpreter answers to python and python3."""
    destdir, source_copy = test_dirs(stage.package)
    remove_tree(destdir)
    remove_tree(source_copy)
    tree = stage.placed(destdir)
    os.makedirs(os.path.dirname(tree.root))
    copy_tree(stage.root, tree.root, exclude=BYTECODE)
    relocate(tree.root, tree.root, old_prefix=stage.root)
    for name in ("python3", "python"):
        link = os.path.join(tree.bindir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.basename(tree.python), link)
    source = copy_project(source_copy)
    log = os.path.join(state_dir(stage.package), "test.log")
    remove_tree(log)
    return TestRun(tree, os.path.abspath(source), log)


def install_test_requirements(run: TestRun, config: PackageConfig) -> None:
    """pip install the Test-Requirements into the copy, from the same index or wheelhouse as the pins."""
    args = ["install", "--no-compile", "--no-warn-script-location", *BUILD_OPTIONS, *index_options(config)]
    for path in config.test_requirements:
        args += ["-r", os.path.abspath(path)]
    run_pip(run.tree, config, args, run.log, f"{config.path}: Test-Requirements: pip install")


def test_env(run: TestRun) -> dict[str, str]:
    """The environment of the Test-Command: the copy's bin first on PATH, no other Python's settings."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_PYTHON}
    env["PATH"] = run.tree.bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_tests(scratch: TestRun, config: PackageConfig) -> None:
    """sh -c Test-Command in the source copy; a failure shows the output's tail and names the log."""
    assert config.test_command is not None
    run(["sh", "-c", config.test_command], f"{config.path}: Test-Command: the tests", log=scratch.log,
        cwd=scratch.source, env=test_env(scratch))


def clean_up(run: TestRun) -> None:
    """Remove both copies (the log stays)."""
    for path in test_dirs(run.tree.package):
        remove_tree(path)

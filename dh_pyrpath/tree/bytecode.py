"""Deterministic bytecode for the whole private tree."""

from __future__ import annotations

import os
import shutil

from dh_pyrpath.contract.runner import run
from dh_pyrpath.staging import StagedTree


def remove_bytecode(root: str) -> int:
    """Delete every __pycache__ and stray .pyc (they may hold build paths); return the count."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if "__pycache__" in dirnames:
            shutil.rmtree(os.path.join(dirpath, "__pycache__"))
            dirnames.remove("__pycache__")
            count += 1
        for name in filenames:
            if name.endswith((".pyc", ".pyo")):
                os.unlink(os.path.join(dirpath, name))
                count += 1
    return count


def compile_tree(tree: StagedTree, parallel: int, log: str) -> int:
    """compileall the tree's lib/ with the staging path stripped; return compileall's status.

    checked-hash .pyc files do not depend on file times, so dh_builddeb's
    clamping of mtimes cannot make them stale and two builds agree.
    """
    argv = [tree.python, "-I", "-m", "compileall", "-q", "-f", "-j", str(parallel),
            "-s", os.path.abspath(tree.destdir), "-p", "/", "--invalidation-mode", "checked-hash", tree.stdlib]
    return run(argv, "byte-compiling the tree", log=log, env=tree.env(), check=False).status

"""Copy and remove whole directory trees the way that holds under fakeroot.

The binary target may run under fakeroot, whose stat() answers from its own
inode records: after many files were created and deleted in one session, a
reused inode can carry a stale "regular file" record, and shutil.rmtree
(which re-checks every directory with stat) then unlinks a directory and
fails.  rm and tar go by the file types readdir reports, so trees are
removed and copied with them.
"""

from __future__ import annotations

import os

from dh_pyrpath.contract.runner import run, run_pipeline
from dh_pyrpath.errors import PyrpathError

# What never leaves the stage: bytecode is compiled for the final tree (or at install time).
BYTECODE = ("__pycache__", "*.pyc", "*.pyo")


def remove_tree(path: str) -> None:
    """rm -rf path (a file, link or directory); nothing when it does not exist."""
    if not os.path.lexists(path):
        return
    result = run(["rm", "-rf", "--", path], f"removing {path}", check=False)
    if not result.ok:
        detail = (result.output.strip().splitlines() or ["rm failed"])[-1]
        raise PyrpathError(f"{path}: cannot remove ({detail}); check permissions")


def copy_tree(source: str, target: str, exclude: tuple[str, ...] = ()) -> None:
    """Copy the directory source to target (which must not exist), modes and links kept.

    exclude holds tar --exclude patterns (matched against every name in the tree).
    """
    os.makedirs(target)
    pack = ["tar", "-C", source, "-cf", "-", *(f"--exclude={pattern}" for pattern in exclude), "."]
    unpack = ["tar", "-C", target, "-xf", "-"]
    result = run_pipeline([pack, unpack], f"copying {source}", check=False)
    if not result.ok:
        detail = (result.output.strip().splitlines() or ["tar failed"])[-1]
        raise PyrpathError(f"{target}: cannot copy {source} there ({detail}); check free space and permissions")

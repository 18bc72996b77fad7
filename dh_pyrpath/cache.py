"""A cache of built CPython trees, keyed on everything that decides the build.

An entry is <root>/python/<key>/ holding `tree/` (the installed DESTDIR)
and `entry.json`.  It is built in a temporary sibling directory and
published with one rename, so an interrupted build never leaves an entry
that looks usable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator

from . import __version__
from .cpython import DEV_PACKAGES, BuildRequest

# Bump when the build recipe changes in a way the inputs below do not show.
RECIPE = 1


def cache_root(environ: dict[str, str] | None = None) -> str | None:
    """DH_PYRPATH_CACHE, else ~/.cache/dh-pyrpath; None when there is no usable home."""
    env = os.environ if environ is None else environ
    if "DH_PYRPATH_CACHE" in env:
        return env["DH_PYRPATH_CACHE"] or None
    home = env.get("HOME", "")
    if not home or not os.path.isdir(home) or not os.access(home, os.W_OK):
        return None
    return os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "dh-pyrpath")


def downloads_dir(fallback: str) -> str:
    """Where fetched CPython sources are kept: the cache's sources/, else fallback."""
    root = cache_root()
    return os.path.join(root, "sources") if root else fallback


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
    except OSError:
        return "absent"
    return out.splitlines()[0] if out else "absent"


def toolchain() -> dict[str, str]:
    """Compiler, linker and -dev package versions the build links against."""
    query = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}=${Version}\n", *DEV_PACKAGES],
        capture_output=True, text=True,
    ).stdout
    return {
        "cc": _first_line(["gcc", "--version"]),
        "ld": _first_line(["ld", "--version"]),
        "dev": ",".join(sorted(query.split())),
        "arch": os.uname().machine,
    }


def cache_key(request: BuildRequest, flags: dict[str, str]) -> str:
    """A digest of the source, options, prefix, toolchain and flags."""
    material = {
        "recipe": RECIPE,
        "source": request.source_sha256,
        "prefix": request.prefix,
        "configure": list(request.configure_args()),
        "noopt": request.build.noopt,
        "flags": flags,
        "toolchain": toolchain(),
    }
    blob = json.dumps(material, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def entry_dir(root: str, key: str) -> str:
    return os.path.join(root, "python", key)


def entry_record(tree: str) -> dict:
    """The entry.json beside a cached tree."""
    with open(os.path.join(os.path.dirname(tree), "entry.json"), encoding="utf-8") as fd:
        return json.load(fd)


def lookup(root: str, key: str) -> str | None:
    """The tree of a published entry, or None."""
    entry = entry_dir(root, key)
    tree = os.path.join(entry, "tree")
    if os.path.isfile(os.path.join(entry, "entry.json")) and os.path.isdir(tree):
        return tree
    return None


@contextmanager
def new_entry(root: str, key: str, request: BuildRequest) -> Iterator[str]:
    """A temporary directory to build in, published as the entry on success.

    On any exception the temporary directory is removed and nothing is
    published.
    """
    parent = os.path.join(root, "python")
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".build-{key}-")
    try:
        yield tmp
        with open(os.path.join(tmp, "entry.json"), "w", encoding="utf-8") as fd:
            json.dump({"key": key, "prefix": request.prefix, "version": ".".join(map(str, request.version)),
                       "source_sha256": request.source_sha256, "dh_pyrpath": __version__,
                       "build_dir": os.path.join(tmp, "src")}, fd, indent=1)
        for scratch in ("src", "build.log"):
            path = os.path.join(tmp, scratch)
            if os.path.isdir(path):
                shutil.rmtree(path)
        try:
            os.rename(tmp, entry_dir(root, key))
        except OSError:
            if lookup(root, key) is None:
                raise
            shutil.rmtree(tmp)  # someone published the same key first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

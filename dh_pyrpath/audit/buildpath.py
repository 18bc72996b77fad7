"""Find files of the package tree that still mention a build directory."""

from __future__ import annotations

import mmap
import os
import re

# A path's characters, for showing the whole build path a pattern matched in.
_PATH_CHARS = rb"[A-Za-z0-9._+@%/-]*"
# Build paths recognisable in any package: debhelper's scratch space and dh-pyrpath's
# cache build directories (cache.new_entry's .build-<key>-*).  (literal to look for, pattern)
_GENERIC = (
    (b"/debian/.debhelper/", _PATH_CHARS + rb"/debian/\.debhelper/[A-Za-z0-9._+@%-]*"),
    (b"/.build-", _PATH_CHARS + rb"/\.build-[0-9a-f]{32}-[A-Za-z0-9._+@%-]*"),
)
# How far before its literal a pattern may start (the directories above debian/<pkg>).
_LOOKBEHIND = 1024

Needle = tuple[bytes, "re.Pattern[bytes]"]


def literal_needles(paths: list[str]) -> list[Needle]:
    """Needles for the given directories (absolute, not /), longest first."""
    chosen = sorted({p for p in paths if p.startswith("/") and len(p) > 1}, key=len, reverse=True)
    return [(os.fsencode(p), re.compile(re.escape(os.fsencode(p)))) for p in chosen]


def build_path_needles(prefix: str, paths: list[str]) -> list[Needle]:
    """The given build directories, plus what marks a build path in any tree built for prefix.

    A staging tree (debian/<pkg><prefix>, debian/tmp<prefix>), debhelper's
    scratch space and dh-pyrpath's cache build directories are build paths
    wherever they appear.
    """
    staged = (_PATH_CHARS + rb"/debian/[A-Za-z0-9][A-Za-z0-9.+-]*" + re.escape(os.fsencode(prefix))
              + rb"(?![A-Za-z0-9._+-])")
    needles = literal_needles(paths) + [(os.fsencode(prefix), re.compile(staged))]
    return needles + [(literal, re.compile(pattern)) for literal, pattern in _GENERIC]


def find_in_file(path: str, needles: list[Needle]) -> str | None:
    """The first build path a regular file contains, or None."""
    if os.path.getsize(path) == 0:
        return None
    with open(path, "rb") as fd, mmap.mmap(fd.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for literal, pattern in needles:
            start = data.find(literal)
            while start != -1:
                match = pattern.search(data, max(0, start - _LOOKBEHIND), start + len(literal) + _LOOKBEHIND)
                if match:
                    return os.fsdecode(match.group(0))
                start = data.find(literal, start + 1)
    return None


def files_containing(root: str, paths: list[str]) -> list[tuple[str, str]]:
    """(file, path found) for every regular file under root that names one of the paths literally."""
    needles = literal_needles(paths)
    hits = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            found = find_in_file(path, needles)
            if found:
                hits.append((path, found))
    return hits

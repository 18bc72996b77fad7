"""Find files of the package tree that still mention a build directory."""

from __future__ import annotations

import mmap
import os


def files_containing(root: str, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every regular file under root containing one of the needles."""
    encoded = sorted({n.encode() for n in needles if n}, key=len)
    hits = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) == 0:
                continue
            with open(path, "rb") as fd, mmap.mmap(fd.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for needle in encoded:
                    if data.find(needle) != -1:
                        hits.append((path, needle.decode()))
                        break
    return hits

"""What the tests check a tree with: every file that still names a build directory (the audit's scan, by literal)."""

from __future__ import annotations

import os

from dh_pyrpath.audit.buildpath import find_in_file, literal_needles


def files_containing(root: str, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every regular file under root containing one of the needles."""
    compiled = literal_needles(needles)
    hits = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            found = find_in_file(path, compiled)
            if found:
                hits.append((path, found))
    return hits

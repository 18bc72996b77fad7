"""A tree's manifest: what every path under it is, so that a changed copy can be told apart.

A regular file is recorded with its size, permission bits and sha256, a
symbolic link with its target, a directory with its permission bits.
Comparing a new scan with the manifest finds changed, missing and extra paths.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Iterator

from dh_pyrpath.hashing import sha256_file

FORMAT = 1
Record = dict[str, object]


def _walk(top: str) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative path, entry) for everything under top, links not followed."""
    pending = [""]
    while pending:
        rel = pending.pop()
        with os.scandir(os.path.join(top, rel)) as entries:
            for entry in entries:
                path = os.path.join(rel, entry.name) if rel else entry.name
                yield path, entry
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)


def describe(entry: os.DirEntry) -> Record:
    """What the manifest says of one path."""
    info = entry.stat(follow_symlinks=False)
    mode = stat.S_IMODE(info.st_mode)
    if entry.is_symlink():
        return {"type": "link", "target": os.readlink(entry.path)}
    if entry.is_dir(follow_symlinks=False):
        return {"type": "dir", "mode": mode}
    if entry.is_file(follow_symlinks=False):
        return {"type": "file", "mode": mode, "size": info.st_size, "sha256": sha256_file(entry.path)}
    return {"type": "special", "mode": stat.S_IFMT(info.st_mode) | mode}


def scan(top: str) -> dict[str, Record]:
    """Every path under top with its record."""
    return {path: describe(entry) for path, entry in _walk(top)}


def write_manifest(top: str, manifest: str) -> None:
    with open(manifest, "w", encoding="utf-8") as fd:
        json.dump({"format": FORMAT, "paths": scan(top)}, fd, sort_keys=True, separators=(",", ":"))


def read_manifest(manifest: str) -> dict[str, Record] | None:
    """The recorded paths, or None when the manifest is missing or unreadable."""
    try:
        with open(manifest, encoding="utf-8") as fd:
            data = json.load(fd)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("paths"), dict):
        return None
    return data["paths"]


def differences(recorded: dict[str, Record], actual: dict[str, Record]) -> list[str]:
    """'<path> changed' / 'missing' / 'extra', sorted by path."""
    found = []
    for path in sorted(set(recorded) | set(actual)):
        if path not in actual:
            found.append(f"{path} missing")
        elif path not in recorded:
            found.append(f"{path} extra")
        elif recorded[path] != actual[path]:
            found.append(f"{path} changed")
    return found

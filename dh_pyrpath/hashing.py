"""sha256 digests of a file and of a directory tree (cache keys, manifests, SBOM, vendored sources)."""

from __future__ import annotations

import hashlib
import os


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fd:
        for block in iter(lambda: fd.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(root: str, leave_out: tuple[str, ...] = ()) -> str:
    """A digest of a directory's file names, x bits and contents; leave_out names top-level entries to skip."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == root:
            dirnames[:] = [d for d in dirnames if d not in leave_out]
            filenames = [f for f in filenames if f not in leave_out]
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                digest.update(f"L {rel} {os.readlink(path)}\n".encode())
            elif os.path.isfile(path):
                digest.update(f"F {rel} {os.stat(path).st_mode & 0o111} {sha256_file(path)}\n".encode())
    return digest.hexdigest()

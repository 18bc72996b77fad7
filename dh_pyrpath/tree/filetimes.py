"""One date for every file of the private tree, so that its file times say nothing of the build.

dpkg-deb clamps times newer than SOURCE_DATE_EPOCH, but older ones pass
through: files an sdist brought keep its dates, which the build
environment can shift (a faked clock shifts what copies read and write).
The bytecode is checked-hash, so no file time matters to the interpreter.
"""

from __future__ import annotations

import os


def source_date_epoch(environ: dict[str, str] | None = None) -> int | None:
    """SOURCE_DATE_EPOCH as dpkg-buildpackage exports it (the changelog's date), if set."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None


def set_times(root: str, epoch: int) -> int:
    """Date every file, link and directory under root (root included) at epoch; return the count."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), (epoch, epoch), follow_symlinks=False)
            count += 1
    os.utime(root, (epoch, epoch))
    return count + 1

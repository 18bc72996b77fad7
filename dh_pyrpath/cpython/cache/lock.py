"""One lock per cache key, so that builds sharing a cache never build a key twice at once.

The lock is fcntl.flock on <root>/python/<key>.lock.  The kernel drops it
when its holder dies, SIGKILL included, so a lock is never stale.  The holder
unlinks the file before letting go, which keeps the cache directory free of
lock files; a process that was waiting on the unlinked file notices (the
path no longer names the file it locked) and locks the new one instead.
"""

from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager, suppress
from typing import Callable, Iterator


def lock_path(parent: str, key: str) -> str:
    """The lock file of key, beside its entry in parent (<root>/python)."""
    return os.path.join(parent, f"{key}.lock")


def _holds(fd: int, path: str) -> bool:
    """Whether path still names the file open as fd (its holder did not unlink it meanwhile)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _acquire(path: str, wait: bool, on_wait: Callable[[], None] | None) -> int | None:
    """An open, locked descriptor of path; None when busy and not waiting."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                if not wait:
                    os.close(fd)
                    return None
                if on_wait:
                    on_wait()
                    on_wait = None
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _holds(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # locked a file its holder had unlinked: lock the new one


def _release(fd: int, path: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
    os.close(fd)


@contextmanager
def key_lock(parent: str, key: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold key's lock, waiting for its holder if need be (on_wait is called once, first)."""
    path = lock_path(parent, key)
    fd = _acquire(path, True, on_wait)
    assert fd is not None
    try:
        yield
    finally:
        _release(fd, path)


@contextmanager
def key_lock_if_free(parent: str, key: str) -> Iterator[bool]:
    """Hold key's lock if nobody does; yields False (holding nothing) when it is busy."""
    path = lock_path(parent, key)
    fd = _acquire(path, False, None)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            _release(fd, path)

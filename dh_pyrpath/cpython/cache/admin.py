"""Looking after the CPython cache (pyrpath cache): list, measure, prune and verify its entries.

Removing anything takes the lock of its key without waiting, so an entry a
build is reusing, or a temporary directory a build is filling, is left alone.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator

from dh_pyrpath.cpython.cache.entries import (RECORD, TREE, Temporary, damage, discard, entries_dir, entry_dir, entry_record, last_used,
                                              temporaries)
from dh_pyrpath.cpython.cache.lock import key_lock, key_lock_if_free

DAY = 86400


def disk_usage(path: str) -> int:
    """Bytes path takes on disk, as du counts them (each inode once); 0 when it does not exist."""
    seen: set[tuple[int, int]] = set()

    def size(item: str) -> int:
        try:
            info = os.lstat(item)
        except OSError:
            return 0
        if (info.st_dev, info.st_ino) in seen:
            return 0
        seen.add((info.st_dev, info.st_ino))
        return info.st_blocks * 512

    total = size(path)
    for dirpath, dirnames, filenames in os.walk(path):
        total += sum(size(os.path.join(dirpath, name)) for name in dirnames + filenames)
    return total


def entry_keys(root: str) -> list[str]:
    """The keys of the entries in the cache (published directories, intact or not)."""
    parent = entries_dir(root)
    try:
        names = sorted(os.listdir(parent))
    except FileNotFoundError:
        return []
    return [name for name in names if not name.startswith(".") and not name.endswith(".lock")
            and os.path.isdir(os.path.join(parent, name))]


@dataclass(frozen=True)
class EntryInfo:
    key: str
    version: str
    prefix: str
    size: int          # bytes on disk
    last_used: float   # seconds since the epoch
    built: float


def _built(entry: str, record: dict) -> float:
    """When the entry was built: its record's date, else (an older entry) its record's mtime."""
    with suppress(KeyError, TypeError, ValueError):
        return datetime.fromisoformat(record["built"]).timestamp()
    with suppress(OSError):
        return os.stat(os.path.join(entry, RECORD)).st_mtime
    return 0.0


def entry_info(root: str, key: str) -> EntryInfo:
    entry = entry_dir(root, key)
    try:
        record = entry_record(os.path.join(entry, TREE))
    except (OSError, ValueError):
        record = {}
    return EntryInfo(key, str(record.get("version", "?")), str(record.get("prefix", "?")), disk_usage(entry),
                     last_used(entry), _built(entry, record))


def entries(root: str) -> list[EntryInfo]:
    """Every entry, the most recently used first."""
    return sorted((entry_info(root, key) for key in entry_keys(root)), key=lambda e: e.last_used, reverse=True)


@dataclass(frozen=True)
class Usage:
    root: str
    total: int
    entries: int
    entries_size: int
    temporaries: int
    temporaries_size: int
    sources_size: int


def usage(root: str) -> Usage:
    keys = entry_keys(root)
    temps = temporaries(root)
    return Usage(root, disk_usage(root),
                 len(keys), sum(disk_usage(entry_dir(root, key)) for key in keys),
                 len(temps), sum(disk_usage(t.path) for t in temps),
                 disk_usage(os.path.join(root, "sources")))


@dataclass
class Pruned:
    removed: list[EntryInfo] = field(default_factory=list)
    temporaries: list[Temporary] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)   # keys a running build holds
    freed: int = 0


def _stale(entry: str, cutoff: float | None) -> bool:
    return cutoff is None or last_used(entry) < cutoff


def prune(root: str, older_than_days: int | None, now: float | None = None) -> Pruned:
    """Remove entries not used for older_than_days (all when None) and the temporaries of dead builds."""
    cutoff = None if older_than_days is None else (time.time() if now is None else now) - older_than_days * DAY
    parent = entries_dir(root)
    result = Pruned()
    for info in entries(root):
        if not _stale(entry_dir(root, info.key), cutoff):
            continue
        with key_lock_if_free(parent, info.key) as free:
            if not free:
                result.busy.append(info.key)
                continue
            if not _stale(entry_dir(root, info.key), cutoff):
                continue  # reused while we looked
            discard(root, info.key)
        result.removed.append(info)
        result.freed += info.size
    for temporary in temporaries(root):
        with key_lock_if_free(parent, temporary.key) as free:
            if free and os.path.lexists(temporary.path):
                result.freed += disk_usage(temporary.path)
                shutil.rmtree(temporary.path, ignore_errors=True)
                result.temporaries.append(temporary)
    for name in os.listdir(parent) if os.path.isdir(parent) else []:
        if name.endswith(".lock"):
            with key_lock_if_free(parent, name[:-len(".lock")]):
                pass  # a dead build's lock file: releasing it removes it
    return result


def verify(root: str, progress: Callable[[str], None]) -> Iterator[tuple[str, list[str]]]:
    """(key, damage) for every entry, fully hashed; a damaged entry is removed."""
    parent = entries_dir(root)
    for key in entry_keys(root):
        with key_lock(parent, key, lambda: progress(f"waiting for another build of {key}")):
            if not os.path.lexists(entry_dir(root, key)):
                continue
            problems = damage(root, key)
            if problems:
                discard(root, key)
        yield key, problems


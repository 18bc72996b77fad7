"""Read ELF dynamic sections with readelf and resolve NEEDED libraries the way ld.so does."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from typing import Callable

from dh_pyrpath.contract.runner import run
from dh_pyrpath.errors import PyrpathError

ELF_MAGIC = b"\x7fELF"
# readelf -d lines: " 0x...01 (NEEDED)   Shared library: [libc.so.6]"
_ENTRY = re.compile(rb"^\s*0x[0-9a-fA-F]+\s+\((NEEDED|RUNPATH|RPATH|SONAME)\)\s+[^\[]*\[(.*)\]\s*$")
# Files per readelf run: few processes, command lines well under ARG_MAX.
_BATCH = 200
# The directories Debian's libraries are installed in (multiarch and legacy).
_SYSTEM_ROOTS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib32", "/usr/lib32")


@dataclass(frozen=True)
class Dynamic:
    """What the dynamic loader reads from one ELF file."""

    needed: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    soname: str | None = None

    def search_path(self) -> tuple[str, ...]:
        """RPATH is only honoured when there is no RUNPATH (ld.so(8))."""
        return self.runpath if self.runpath else self.rpath


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as fd:
            return fd.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_dynamic(paths: list[str]) -> dict[str, Dynamic]:
    """The dynamic section of each ELF file (readelf -dW), in few readelf runs."""
    result: dict[str, Dynamic] = {}
    for start in range(0, len(paths), _BATCH):
        chunk = paths[start:start + _BATCH]
        proc = run(["readelf", "-dW", *chunk], "readelf -d (binutils)", reads=True, check=False,
                   env=dict(os.environ, LC_ALL="C"), stderr_apart=True)
        for path, section in zip(chunk, _split_by_file(proc.raw, chunk)):
            result[path] = parse_dynamic(section)
    return result


def _split_by_file(output: bytes, paths: list[str]) -> list[bytes]:
    """readelf heads each file's part with 'File: <path>' when given several files."""
    if len(paths) == 1:
        return [output]
    starts = []
    position = 0
    for path in paths:
        marker = b"File: " + os.fsencode(path) + b"\n"
        found = output.find(marker, position)
        starts.append(found)
        if found >= 0:
            position = found + len(marker)
    parts = []
    for index, begin in enumerate(starts):
        if begin < 0:
            parts.append(b"")
            continue
        following = [s for s in starts[index + 1:] if s >= 0]
        parts.append(output[begin:following[0] if following else len(output)])
    return parts


def parse_dynamic(text: bytes) -> Dynamic:
    """The NEEDED, RUNPATH, RPATH and SONAME entries of one readelf -d output."""
    values: dict[bytes, list[str]] = {b"NEEDED": [], b"RUNPATH": [], b"RPATH": [], b"SONAME": []}
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            values[match.group(1)].append(os.fsdecode(match.group(2)))
    split = [d for entry in values[b"RUNPATH"] for d in entry.split(":") if d]
    rsplit = [d for entry in values[b"RPATH"] for d in entry.split(":") if d]
    return Dynamic(tuple(values[b"NEEDED"]), tuple(split), tuple(rsplit),
                   values[b"SONAME"][0] if values[b"SONAME"] else None)


def expand_origin(entry: str, origin: str) -> str:
    """A RUNPATH/RPATH entry with $ORIGIN (or ${ORIGIN}) replaced, normalised."""
    expanded = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
    return os.path.normpath(expanded) if expanded.startswith("/") else expanded


def is_system_dir(directory: str) -> bool:
    """A directory Debian installs shared libraries in (not /usr/local, /opt, a home...)."""
    normal = os.path.normpath(directory)
    return any(normal == root or normal.startswith(root + "/") for root in _SYSTEM_ROOTS)


def ld_so_conf_dirs(conf: str = "/etc/ld.so.conf") -> list[str]:
    """The directories of ld.so.conf and its includes, in order (the ld.so.cache search)."""
    dirs: list[str] = []
    _read_conf(conf, dirs, set())
    return dirs


def _read_conf(path: str, dirs: list[str], seen: set[str]) -> None:
    if path in seen:
        return
    seen.add(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as fd:
            lines = fd.read().splitlines()
    except OSError:
        return
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include "):
            pattern = line.split(None, 1)[1]
            if not pattern.startswith("/"):
                pattern = os.path.join(os.path.dirname(path), pattern)
            for included in sorted(glob.glob(pattern)):
                _read_conf(included, dirs, seen)
        elif line.startswith("/") and line not in dirs:
            dirs.append(line)


def multiarch() -> str:
    """The host's multiarch triplet, e.g. x86_64-linux-gnu."""
    try:
        out = run(["gcc", "-print-multiarch"], "gcc -print-multiarch", reads=True, check=False).output.strip()
    except PyrpathError:  # no gcc
        out = ""
    return out or f"{os.uname().machine}-linux-gnu"


def default_dirs() -> tuple[str, ...]:
    """Where ld.so looks last: ld.so.cache's directories, then the trusted defaults."""
    triplet = multiarch()
    dirs = ld_so_conf_dirs()
    for directory in (f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib", "/lib64", "/usr/lib64"):
        if directory not in dirs:
            dirs.append(directory)
    return tuple(dirs)


def resolve(name: str, dynamic: Dynamic, origin: str, exists: Callable[[str], bool],
            fallback: tuple[str, ...]) -> tuple[str | None, str]:
    """Where ld.so would find NEEDED name: (installed path or None, how it was found).

    origin is the installed directory of the file ($ORIGIN); exists tells
    whether an installed path is present (in the package tree or on the
    host); fallback is the ld.so.cache/default search.  A name with a slash
    is taken as it is.
    """
    if "/" in name:
        path = os.path.normpath(os.path.join(origin, name))
        return (path if exists(path) else None), "path"
    how = "RUNPATH" if dynamic.runpath else "RPATH"
    for entry in dynamic.search_path():
        directory = expand_origin(entry, origin)
        if directory.startswith("/") and exists(os.path.join(directory, name)):
            return os.path.join(directory, name), f"{how} {entry}"
    for directory in fallback:
        if exists(os.path.join(directory, name)):
            return os.path.join(directory, name), "system search"
    return None, "not found"

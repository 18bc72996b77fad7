"""A cache of built CPython trees, keyed on everything that decides the build.

An entry is <root>/python/<key>/ holding `tree/` (the installed DESTDIR),
`manifest.json` (every path of tree/: sha256, size and mode of files, targets
of links), `entry.json` (what was built, when) and `last-used` (touched on
every reuse; its mtime is what `pyrpath cache prune` goes by).

Several builds may share the cache.  Everything a build does with a key
happens under that key's lock (cachelock): the second build of a key waits,
then reuses what the first published; different keys build in parallel.  An
entry is built in a temporary sibling directory, .build-<key>-*, and
published with one rename, so a build stopped at any moment (SIGKILL too)
never leaves an entry that looks usable; the temporary directories of dead
builds are removed by the next build of their key, or by prune.

An entry is checked against its manifest, hashing every file, each time it
is about to be used.  Measured on a real entry (CPython 3.11, 9122 files,
245 MB, 1.9 MB of manifest): the full check takes 0.27 s with the files in
the page cache and 1.0 s after dropping it (SSD), against 0.04 s for sizes
and mtimes alone; writing the manifest adds under 1 s to a build of
minutes.  The copy into the package tree that follows reads the same bytes
anyway, so a cheaper size-and-mtime check would save little: every use gets
the full check, which also catches a change that kept size and time stamps.
`pyrpath cache verify` runs the same check over every entry.  A damaged
entry is never used: it is reported, removed and built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from dh_pyrpath import __version__
from dh_pyrpath.contract.runner import run
from dh_pyrpath.cpython.build import DEV_PACKAGES, BuildRequest
from dh_pyrpath.cpython.cache.lock import key_lock
from dh_pyrpath.cpython.cache.manifest import differences, read_manifest, scan, write_manifest
from dh_pyrpath.errors import PyrpathError

# Bump when the build recipe changes in a way the inputs below do not show.
RECIPE = 6  # 6: the LTO link maps the build directory too


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
        out = run(argv, argv[0], reads=True, check=False, stderr_apart=True).output
    except PyrpathError:  # not installed
        return "absent"
    return out.splitlines()[0] if out else "absent"


def toolchain() -> dict[str, str]:
    """Compiler, linker and -dev package versions the build links against."""
    query = run(["dpkg-query", "-W", "-f", "${Package}=${Version}\n", *DEV_PACKAGES], "dpkg-query -W", reads=True,
                check=False, stderr_apart=True).output
    return {
        "cc": _first_line(["gcc", "--version"]),
        "ld": _first_line(["ld", "--version"]),
        "dev": ",".join(sorted(query.split())),
        "arch": os.uname().machine,
    }


def cache_key(request: BuildRequest, flags: dict[str, str]) -> str:
    """A digest of the source, configure options, toolchain and flags.

    The prefix in it is always the placeholder BUILD_PREFIX (the build is
    relocatable): one entry serves every package prefix.
    """
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


RECORD = "entry.json"
MANIFEST = "manifest.json"
LAST_USED = "last-used"
TREE = "tree"
TEMPORARY = ".build-"  # .build-<key>-*: an entry being built, or being removed
SCRATCH = ("src", "build.log")


def entries_dir(root: str) -> str:
    return os.path.join(root, "python")


def entry_dir(root: str, key: str) -> str:
    return os.path.join(entries_dir(root), key)


def entry_record(tree: str) -> dict:
    """The entry.json beside a cached tree."""
    with open(os.path.join(os.path.dirname(tree), RECORD), encoding="utf-8") as fd:
        return json.load(fd)


def lookup(root: str, key: str) -> str | None:
    """The tree of a published entry, or None; whether it is intact is damage()'s question."""
    entry = entry_dir(root, key)
    tree = os.path.join(entry, TREE)
    if all(os.path.isfile(os.path.join(entry, name)) for name in (RECORD, MANIFEST)) and os.path.isdir(tree):
        return tree
    return None


def damage(root: str, key: str) -> list[str]:
    """How key's entry differs from what was published (full hashes); [] when intact."""
    entry = entry_dir(root, key)
    tree = os.path.join(entry, TREE)
    try:
        entry_record(tree)
    except (OSError, ValueError):
        return [f"{RECORD} missing or unreadable"]
    recorded = read_manifest(os.path.join(entry, MANIFEST))
    if recorded is None:
        return [f"{MANIFEST} missing or unreadable"]
    try:
        actual = scan(tree)
    except OSError as exc:
        return [f"{TREE} unreadable ({exc.strerror})"]
    return [f"{TREE}/{difference}" for difference in differences(recorded, actual)]


def summary(problems: list[str], shown: int = 3) -> str:
    """The first few problems, for a one-line message."""
    more = f", and {len(problems) - shown} more" if len(problems) > shown else ""
    return ", ".join(problems[:shown]) + more


def last_used(entry: str) -> float:
    """When the entry was last published or reused (mtime of last-used; older entries: entry.json)."""
    for name in (LAST_USED, RECORD, ""):
        with suppress(OSError):
            return os.stat(os.path.join(entry, name)).st_mtime
    return 0.0


def mark_used(root: str, key: str) -> None:
    path = os.path.join(entry_dir(root, key), LAST_USED)
    with open(path, "a", encoding="utf-8"):
        pass
    os.utime(path)


def discard(root: str, key: str) -> None:
    """Remove key's entry; it is renamed out of the way first, so it stops looking usable at once."""
    entry = entry_dir(root, key)
    if not os.path.isdir(entry) or os.path.islink(entry):
        with suppress(FileNotFoundError):
            os.unlink(entry)
        return
    doomed = tempfile.mkdtemp(dir=entries_dir(root), prefix=f"{TEMPORARY}{key}-")
    os.rename(entry, doomed)  # a directory may replace an empty one
    shutil.rmtree(doomed, ignore_errors=True)


@dataclass(frozen=True)
class Temporary:
    """A .build-<key>-* directory: a build under way, or left by a dead one."""

    path: str
    key: str


def temporaries(root: str, key: str | None = None) -> list[Temporary]:
    """The temporary directories in the cache (of key only, when given)."""
    parent = entries_dir(root)
    try:
        names = sorted(os.listdir(parent))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        owner = name[len(TEMPORARY):].rpartition("-")[0]
        if name.startswith(TEMPORARY) and owner and key in (None, owner):
            found.append(Temporary(os.path.join(parent, name), owner))
    return found


def remove_temporaries(root: str, key: str) -> None:
    """Remove key's temporaries; only for a holder of key's lock, which makes their builds dead ones."""
    for temporary in temporaries(root, key):
        shutil.rmtree(temporary.path, ignore_errors=True)


def _seal(work: str, key: str, request: BuildRequest) -> None:
    """Drop the build's scratch and write what makes work an entry: manifest, record, last-used."""
    for scratch in SCRATCH:
        path = os.path.join(work, scratch)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
    write_manifest(os.path.join(work, TREE), os.path.join(work, MANIFEST))
    record = {"key": key, "prefix": request.prefix, "version": ".".join(map(str, request.version)),
              "source_sha256": request.source_sha256, "dh_pyrpath": __version__,
              "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "build_dir": os.path.join(work, "src")}
    with open(os.path.join(work, RECORD), "w", encoding="utf-8") as fd:
        json.dump(record, fd, indent=1)
    with open(os.path.join(work, LAST_USED), "w", encoding="utf-8"):
        pass


@contextmanager
def new_entry(root: str, key: str, request: BuildRequest) -> Iterator[str]:
    """A temporary directory to build in (its tree/), published as key's entry on success.

    On any exception the temporary directory is removed and nothing is
    published.  Callers sharing the cache hold key's lock (see obtain).
    """
    parent = entries_dir(root)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(dir=parent, prefix=f"{TEMPORARY}{key}-")
    try:
        yield work
        _seal(work, key, request)
        try:
            os.rename(work, entry_dir(root, key))
        except OSError:
            if lookup(root, key) is None:
                raise
            shutil.rmtree(work)  # published by a build that did not lock (an older dh-pyrpath)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


@dataclass(frozen=True)
class Obtained:
    tree: str
    reused: bool


def obtain(root: str, key: str, request: BuildRequest, build: Callable[[str], None],
           progress: Callable[[str], None], warn: Callable[[str], None]) -> Obtained:
    """Key's tree: its entry when intact, else what build(work) puts in work/tree, published.

    Everything happens under key's lock, so that a concurrent build of the
    same key waits and then reuses this one.  A damaged entry is reported
    through warn, removed and built again.
    """
    parent = entries_dir(root)
    os.makedirs(parent, exist_ok=True)
    with key_lock(parent, key, lambda: progress(f"waiting for another build of {key}")):
        remove_temporaries(root, key)
        entry = entry_dir(root, key)
        if os.path.lexists(entry):
            problems = damage(root, key)
            if not problems:
                mark_used(root, key)
                return Obtained(os.path.join(entry, TREE), True)
            warn(f"{entry}: the cached CPython is damaged ({summary(problems)}); removing it and building again")
            discard(root, key)
        with new_entry(root, key, request) as work:
            build(work)
        return Obtained(os.path.join(entry, TREE), False)

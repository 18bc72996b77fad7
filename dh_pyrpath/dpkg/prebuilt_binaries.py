"""Binaries that came prebuilt from wheels (manylinux, musllinux), and keeping the ELF tools off them.

auditwheel rewrites the shared objects of a portable wheel with patchelf
(RUNPATH, NEEDED, vendored libraries in <dist>.libs/); stripping or dwz
rewriting them again breaks the build or, worse, the import.  They carry
no debug information to extract anyway.  Everything compiled during the
build (the interpreter, libpython, stdlib and sdist extensions) is left
to dh_dwz and dh_strip as usual: only the files a prebuilt wheel
installed are moved aside while those run, then put back.

dh_shlibdeps cannot analyse them either: the libraries a wheel bundles
find each other without a RUNPATH, so dpkg-shlibdeps needs their
directories (-l).  They are put back after dh_shlibdeps, analysed with
those directories, and what they need from Debian (libc6, libstdc++6,
...) is added to ${shlibs:Depends}; dpkg-gencontrol folds duplicates.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import re
from email.parser import HeaderParser

from dh_pyrpath.contract.runner import run
from dh_pyrpath.elf import is_elf
from dh_pyrpath.trees import remove_tree

# Wheel platform tags that mean "built elsewhere and repaired", as opposed to linux_<arch>,
# the tag of a wheel pip built here from an sdist.
_PORTABLE = ("manylinux", "musllinux")
LIST = "prebuilt.json"
SHARED_OBJECT = re.compile(r"\.so(\.[0-9]+)*$")
ASIDE = "prebuilt-aside"


def is_prebuilt(dist_info: str) -> bool:
    """Whether the distribution came from a portable binary wheel (its WHEEL file's tags)."""
    try:
        with open(os.path.join(dist_info, "WHEEL"), encoding="utf-8") as fd:
            tags = HeaderParser().parse(fd).get_all("Tag") or []
    except OSError:
        return False  # an egg-info install: built here from an sdist
    return any(tag.split("-")[-1].startswith(_PORTABLE) for tag in tags)


def prebuilt_elf_files(site_packages: str) -> list[str]:
    """ELF files (absolute paths) that prebuilt wheels installed under site_packages, from their RECORD."""
    found: set[str] = set()
    for dist_info in sorted(glob.glob(os.path.join(glob.escape(site_packages), "*.dist-info"))):
        if not is_prebuilt(dist_info):
            continue
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8", newline="") as fd:
            for row in csv.reader(fd):
                path = os.path.normpath(os.path.join(site_packages, row[0])) if row else ""
                if path and os.path.isfile(path) and not os.path.islink(path) and is_elf(path):
                    found.add(path)
    return sorted(found)


def has_symbols(path: str) -> bool:
    """Whether an ELF file keeps a symbol table or debug sections (lintian: unstripped-binary-or-object)."""
    result = run(["readelf", "-SW", path], f"readelf -S {path}", reads=True, check=False)
    return any(f" {name}" in result.output for name in (".symtab", ".debug_info"))


def record(state: str, destdir: str, files: list[str]) -> str:
    """Write the list of prebuilt files, relative to the package tree, for set_aside/put_back."""
    path = os.path.join(state, LIST)
    root = os.path.abspath(destdir)
    with open(path, "w", encoding="utf-8") as fd:
        json.dump(sorted(os.path.relpath(f, root) for f in files), fd, indent=0)
    return path


def recorded(state: str) -> list[str]:
    try:
        with open(os.path.join(state, LIST), encoding="utf-8") as fd:
            return json.load(fd)
    except OSError:
        return []


def set_aside(state: str, destdir: str) -> int:
    """Move the recorded prebuilt files out of the package tree (before dh_dwz and dh_strip)."""
    remove_tree(os.path.join(state, ASIDE))  # from an earlier, interrupted run
    moved = 0
    for rel in recorded(state):
        source, target = os.path.join(destdir, rel), os.path.join(state, ASIDE, rel)
        if os.path.isfile(source):
            if SHARED_OBJECT.search(source):
                os.chmod(source, 0o644)  # what dh_fixperms, which will not see it, does to a shared object
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
            moved += 1
    return moved


def put_back(state: str, destdir: str) -> int:
    """Return the files set aside to their places (after dh_strip); idempotent."""
    aside = os.path.join(state, ASIDE)
    moved = 0
    for rel in recorded(state):
        source, target = os.path.join(aside, rel), os.path.join(destdir, rel)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
            moved += 1
    remove_tree(aside)
    return moved


def shlibs_depends(destdir: str, rels: list[str], log: str) -> str:
    """What the prebuilt files need from Debian, by dpkg-shlibdeps with their directories as private paths."""
    dirs = sorted({"/" + os.path.dirname(rel) for rel in rels})
    os.makedirs(os.path.join(destdir, "DEBIAN"), exist_ok=True)  # how dpkg-shlibdeps finds the package root
    argv = ["dpkg-shlibdeps", "-O", "--warnings=0", *(f"-l{d}" for d in dirs), *(os.path.join(destdir, r) for r in rels)]
    def named(output: str) -> str:
        detail = next((l for l in output.splitlines() if "error:" in l), "see the log")
        return f"dpkg-shlibdeps on the prebuilt wheel binaries failed ({detail.strip()})"
    result = run(argv, "dpkg-shlibdeps on the prebuilt wheel binaries", log=log, explain=named)
    line = next((l for l in result.output.splitlines() if l.startswith("shlibs:Depends=")), "shlibs:Depends=")
    return line.split("=", 1)[1].strip()

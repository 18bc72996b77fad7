"""Drop what a deployed service never runs from the private tree (the Slim field)."""

from __future__ import annotations

import csv
import glob
import os
import re
from email.parser import HeaderParser

from dh_pyrpath.staging import StagedTree
from dh_pyrpath.trees import remove_tree


# What each Slim item removes, as glob patterns relative to the prefix ({v} is X.Y).
_TEST_DIRS = ("test", "idlelib/idle_test", "lib2to3/tests", "distutils/tests", "tkinter/test",
              "ctypes/test", "unittest/test", "sqlite3/test")
# Extension modules that exist only for the test suite (and the C API examples it builds).
_TEST_EXTENSIONS = ("_test*.so", "_xxtestfuzz*.so", "_ctypes_test*.so", "xxlimited*.so", "xxsubtype*.so")
ITEMS: dict[str, tuple[str, ...]] = {
    "tests": tuple(f"lib/python{{v}}/{d}" for d in _TEST_DIRS)
    + tuple(f"lib/python{{v}}/lib-dynload/{m}" for m in _TEST_EXTENSIONS),
    "static": ("lib/python{v}/config-{v}*/libpython*.a", "lib/python{v}/config-{v}*/python.o"),
    "idlelib": ("lib/python{v}/idlelib", "bin/idle3*"),
    # _tkinter is what links Tk and X11: without it they leave ${shlibs:Depends} too.
    "tkinter": ("lib/python{v}/tkinter", "lib/python{v}/lib-dynload/_tkinter*.so",
                "lib/python{v}/turtle.py", "lib/python{v}/turtledemo"),
    "ensurepip": ("lib/python{v}/ensurepip",),
    "lib2to3": ("lib/python{v}/lib2to3", "bin/2to3*"),
    # Only once pip has built every extension module: these are what compiling against Python needs.
    "headers": ("include",),
    "config": ("lib/python{v}/config-{v}*", "bin/python{v}-config", "bin/python3-config", "lib/pkgconfig"),
}


# Slim: pip drops these distributions (setuptools brings pkg_resources and _distutils_hack)
# unless a distribution that stays requires them.
INSTALLERS = ("pip", "setuptools", "wheel")
# Items that are not glob patterns: what they remove is read from the installed distributions.
DISTRIBUTION_ITEMS = ("pip",)


def slim(tree: StagedTree, items: tuple[str, ...]) -> list[str]:
    """Remove what the Slim items name from the tree; return what went."""
    removed = []
    for item in items:
        if item == "pip":
            removed += drop_installers(tree.root, tree.site_packages)
            continue
        for pattern in ITEMS[item]:
            for path in sorted(glob.glob(os.path.join(tree.root, pattern.format(v=tree.short_version)))):
                remove_tree(path)
                removed.append(path)
    return removed


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def metadata_file(info: str) -> str:
    """A .dist-info's METADATA, an .egg-info's PKG-INFO (a legacy setup.py install writes those)."""
    if info.endswith(".egg-info"):
        return os.path.join(info, "PKG-INFO") if os.path.isdir(info) else info
    return os.path.join(info, "METADATA")


def installed_distributions(site_packages: str) -> dict[str, str]:
    """Normalised name -> .dist-info (or .egg-info) of every distribution in site_packages."""
    found = {}
    for pattern in ("*.egg-info", "*.dist-info"):
        for info in sorted(glob.glob(os.path.join(glob.escape(site_packages), pattern))):
            if os.path.isfile(metadata_file(info)):
                with open(metadata_file(info), encoding="utf-8", errors="replace") as fd:
                    name = HeaderParser().parse(fd).get("Name")
                if name:
                    found[normalise(name)] = info
    return found


def required_names(info: str) -> set[str]:
    """The distributions a distribution requires (Requires-Dist, an .egg-info's requires.txt), all of them.

    Markers and extras are not evaluated: a distribution that may need an installer keeps it.
    """
    with open(metadata_file(info), encoding="utf-8", errors="replace") as fd:
        requirements = HeaderParser().parse(fd).get_all("Requires-Dist") or []
    requires_txt = os.path.join(info, "requires.txt")
    if os.path.isfile(requires_txt):
        with open(requires_txt, encoding="utf-8", errors="replace") as fd:
            requirements += [line for line in fd if not line.startswith("[")]
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if match:
            names.add(normalise(match.group(1)))
    return names


def removable_installers(distributions: dict[str, str]) -> list[str]:
    """The installers no staying distribution requires (an installer needed only by another one leaves too).

    Only those with a RECORD: without one, what they installed is not known.
    """
    leaving = {name for name in INSTALLERS
               if name in distributions and os.path.isfile(os.path.join(distributions[name], "RECORD"))}
    requires = {name: required_names(info) for name, info in distributions.items()}
    changed = True
    while changed:
        staying = [name for name in distributions if name not in leaving]
        needed = {name for name in leaving if any(name in requires[other] for other in staying)}
        changed = bool(needed)
        leaving -= needed
    return sorted(leaving)


def recorded_files(site_packages: str, info: str) -> list[str]:
    """The files a distribution's RECORD lists, as absolute paths (console scripts in bin/ too)."""
    with open(os.path.join(info, "RECORD"), encoding="utf-8", newline="") as fd:
        rows = [row for row in csv.reader(fd) if row]
    return [os.path.normpath(os.path.join(site_packages, row[0])) for row in rows]


def remove_distribution(root: str, site_packages: str, info: str) -> list[str]:
    """Delete what a distribution installed under root (its RECORD), then its emptied directories."""
    removed, parents = [], set()
    for path in recorded_files(site_packages, info):
        if not path.startswith(root + os.sep) or not os.path.lexists(path) or os.path.isdir(path):
            continue
        os.unlink(path)
        removed.append(path)
        parents.add(os.path.dirname(path))
    for directory in sorted(parents, key=len, reverse=True):
        while directory.startswith(site_packages + os.sep) and os.path.isdir(directory):
            leftovers = [n for n in os.listdir(directory) if n != "__pycache__"]
            if leftovers:
                break
            remove_tree(directory)
            directory = os.path.dirname(directory)
    remove_tree(info)
    return removed


def drop_installers(root: str, site_packages: str) -> list[str]:
    """Slim: pip: remove pip, setuptools and wheel unless a distribution that stays requires them."""
    distributions = installed_distributions(site_packages)
    removed = []
    for name in removable_installers(distributions):
        removed += remove_distribution(root, site_packages, distributions[name])
    return removed

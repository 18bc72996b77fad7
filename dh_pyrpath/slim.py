"""Drop what a deployed service never runs from the private tree (the Slim field)."""

from __future__ import annotations

import glob
import os

from .trees import remove_tree


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


def slim(root: str, short_version: str, items: tuple[str, ...]) -> list[str]:
    """Remove what the Slim items name from the tree at root (the staged prefix); return what went."""
    removed = []
    for item in items:
        for pattern in ITEMS[item]:
            for path in sorted(glob.glob(os.path.join(root, pattern.format(v=short_version)))):
                remove_tree(path)
                removed.append(path)
    return removed

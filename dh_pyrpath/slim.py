"""Drop what a deployed service never runs from the private tree."""

from __future__ import annotations

import glob
import os
import shutil

# The stdlib test suites, relative to lib/pythonX.Y.
STDLIB_TESTS = (
    "test", "idlelib/idle_test", "lib2to3/tests", "distutils/tests", "tkinter/test",
    "ctypes/test", "unittest/test", "sqlite3/test",
)
# Static libpython and the object file only embedding needs, relative to lib/pythonX.Y.
STATIC = ("config-*/libpython*.a", "config-*/python.o")


def slim_default(stdlib: str) -> list[str]:
    """Remove the stdlib test suite and the static library; return what went."""
    removed = []
    for rel in STDLIB_TESTS:
        path = os.path.join(stdlib, rel)
        if os.path.isdir(path):
            shutil.rmtree(path)
            removed.append(path)
    for pattern in STATIC:
        for path in glob.glob(os.path.join(stdlib, pattern)):
            os.unlink(path)
            removed.append(path)
    return removed

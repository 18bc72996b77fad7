"""One CPython build serves every prefix: built under a placeholder, moved to each package's prefix.

CPython finds its prefix from the interpreter's own location (the
lib/pythonX.Y/os.py landmark above it); the interpreter has the core linked
in (3.11+; older ones load libpython through the RUNPATH $ORIGIN/../lib), so
a built tree runs wherever it is copied.  What
records the configured prefix is text: _sysconfigdata, the config
Makefile, the pkg-config files, python3-config, the #! lines ensurepip
wrote.  Those are rewritten when the tree is staged for a package.  The
placeholder also stays in the interpreter and libpython as getpath's fallback, used only when
the landmark is missing, which never happens in a complete tree.
"""

from __future__ import annotations

import os

# The --prefix every CPython is configured with; long and unlikely, never a package's.
BUILD_PREFIX = "/opt/pyrpath-relocatable-prefix"


def is_text(data: bytes) -> bool:
    """Not ELF, not bytecode, and UTF-8: a file whose prefix can be rewritten in place."""
    if data.startswith(b"\x7fELF") or b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def relocate(root: str, prefix: str) -> list[str]:
    """Replace BUILD_PREFIX with prefix in the text files under root (the staged prefix); return them."""
    old, new = BUILD_PREFIX.encode(), prefix.encode()
    changed = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or name.endswith(".pyc"):
                continue
            with open(path, "rb") as fd:
                data = fd.read()
            if old not in data or not is_text(data):
                continue
            mode = os.stat(path).st_mode
            with open(path, "wb") as fd:
                fd.write(data.replace(old, new))
            os.chmod(path, mode)
            changed.append(path)
    return changed

"""One CPython build serves every prefix: built under a placeholder, moved to each package's prefix.

CPython finds its prefix from the interpreter's own location (the
lib/pythonX.Y/os.py landmark above it); the interpreter has the core linked
in (3.11+; older ones load libpython through the RUNPATH $ORIGIN/../lib), so
a built tree runs wherever it is copied.  What
records the configured prefix is text: _sysconfigdata, the config
Makefile, the pkg-config files, python3-config, the #! lines ensurepip
wrote.  Those are rewritten when the tree is staged for a package (to the
staging path, where the build target compiles and installs against it) and
again when the binary target places it (to the final prefix).  The
placeholder also stays in the interpreter and libpython as getpath's fallback, used only when
the landmark is missing, which never happens in a complete tree.
"""

from __future__ import annotations

import os
import struct

from dh_pyrpath.errors import PyrpathError

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


def relocate(root: str, prefix: str, old_prefix: str = BUILD_PREFIX) -> list[str]:
    """Replace old_prefix with prefix under root (the staged prefix); return the files changed.

    Text files are rewritten wherever they name it; ELF files only in their
    RUNPATH/RPATH (an sdist that links libpython, such as uwsgi, records the
    library directory its sysconfig named: the staging path).
    """
    old, new = old_prefix.encode(), prefix.encode()
    changed = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or name.endswith(".pyc"):
                continue
            with open(path, "rb") as fd:
                data = fd.read()
            if old not in data:
                continue
            if is_text(data):
                rewritten = data.replace(old, new)
            elif data.startswith(ELF_MAGIC):
                rewritten = relocate_search_paths(path, data, old, new)
            else:
                continue
            if rewritten == data:
                continue
            mode = os.stat(path).st_mode
            with open(path, "wb") as fd:
                fd.write(rewritten)
            os.chmod(path, mode)
            changed.append(path)
    return changed


ELF_MAGIC = b"\x7fELF"
_SHT_DYNAMIC = 6
_DT_RPATH, _DT_RUNPATH = 15, 29


def search_path_strings(data: bytes) -> list[tuple[int, int]]:
    """(file offset, length) of the RUNPATH and RPATH strings of an ELF file, from its section headers."""
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        section, entry = order + "IIQQQQIIQQ", order + "qQ"
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        section, entry = order + "IIIIIIIIII", order + "iI"
    headers = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]
    found = []
    for header in headers:
        if header[1] != _SHT_DYNAMIC:
            continue
        offset, size, link = header[4], header[5], header[6]
        strings = headers[link][4]
        for position in range(offset, offset + size, struct.calcsize(entry)):
            tag, value = struct.unpack_from(entry, data, position)
            if tag in (_DT_RPATH, _DT_RUNPATH):
                start = strings + value
                found.append((start, data.index(b"\0", start) - start))
    return found


def relocate_search_paths(path: str, data: bytes, old: bytes, new: bytes) -> bytes:
    """data with old replaced by new in its RUNPATH/RPATH strings (padded in place: new must not be longer)."""
    out = bytearray(data)
    try:
        strings = search_path_strings(data)
    except (struct.error, ValueError, IndexError):
        return data  # not a well-formed ELF file: nothing we could rewrite
    for start, length in strings:
        value = data[start:start + length]
        replaced = value.replace(old, new)
        if replaced == value:
            continue
        if len(replaced) > length:
            raise PyrpathError(f"{path}: its RUNPATH {value.decode(errors='replace')} cannot be rewritten to "
                               f"{replaced.decode(errors='replace')} in place (longer); please report it")
        out[start:start + length] = replaced + b"\0" * (length - len(replaced))
    return bytes(out)

"""Point the scripts of the staged tree at the interpreter's final location."""

from __future__ import annotations

import os
import re

# Linux reads at most this many bytes of a #! line (BINPRM_BUF_SIZE - 1).
MAX_SHEBANG = 127


# A Python interpreter on a #! line: /usr/bin/env python3, /usr/local/bin/python, ...
_ANY_PYTHON = re.compile(rb"^#!\s*(?:/usr/bin/env\s+)?(?:/\S*/)?python[0-9.]*(?=\s|$)")


def _interpreter_pattern(staged_root: str, prefix: str) -> re.Pattern[bytes]:
    roots = b"|".join(re.escape(r.encode()) for r in sorted({staged_root, prefix}, key=len, reverse=True))
    return re.compile(rb"(?:" + roots + rb")/bin/python[0-9.]*")


def rewrite_script(content: bytes, staged_root: str, prefix: str, python: str) -> bytes | None:
    """The script with its interpreter set to python (a final path), or None if unchanged.

    Handles the plain `#!/path/python` line (any Python: the staged one, the
    system's, `env python3`) and pip's `'''exec'` trampoline, which pip
    writes when the build path is too long for a #! line; the trampoline
    becomes a plain #! line again when the final path fits.
    """
    if not content.startswith(b"#!"):
        return None
    pattern = _interpreter_pattern(staged_root, prefix)
    lines = content.split(b"\n", 3)
    first = lines[0]
    match = pattern.search(first) or _ANY_PYTHON.match(first)
    if match:
        new_first = (b"#!" + python.encode() + first[match.end():]).rstrip()
        return None if new_first == first else b"\n".join([new_first, *lines[1:]])
    if first.strip() == b"#!/bin/sh" and len(lines) >= 3 and lines[1].startswith(b"'''exec' ") \
            and pattern.search(lines[1]) and lines[2].strip() == b"' '''":
        if len(python) + 2 <= MAX_SHEBANG:
            rest = lines[3] if len(lines) > 3 else b""
            return b"#!" + python.encode() + b"\n" + rest
        lines[1] = pattern.sub(python.encode(), lines[1])
        return b"\n".join(lines)
    return None


def rewrite_tree(root: str, staged_root: str, prefix: str, python: str) -> list[str]:
    """Point every Python script under root at python and make every script executable.

    A file with a #! line that cannot be run is a lintian warning
    (script-not-executable); pip and setuptools vendor a few.  Returns the
    files changed.
    """
    changed = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and _rewrite_file(path, staged_root, prefix, python):
                changed.append(path)
    return changed


def _rewrite_file(path: str, staged_root: str, prefix: str, python: str) -> bool:
    with open(path, "rb") as fd:
        if fd.read(2) != b"#!":
            return False
        content = b"#!" + fd.read()
    new = rewrite_script(content, staged_root, prefix, python)
    mode = os.stat(path).st_mode
    executable = mode | 0o111 if mode & 0o444 == 0o444 else mode | 0o100
    if new is None and mode == executable:
        return False
    if new is not None:
        with open(path, "wb") as fd:
            fd.write(new)
    os.chmod(path, executable)
    return True

"""Lintian overrides for what the private-tree layout must carry, each with its reason."""

from __future__ import annotations

import os

from .debhelper import Invocation
from .staging import StagedTree

# (tag, path pattern (with {prefix}), reason); each is written only if it can apply.
OVERRIDES = (
    ("dir-or-file-in-opt", "{prefix}/*",
     "the service's private CPython lives under its own prefix in /opt, away from the system Python, "
     "by design of dh-pyrpath"),
    ("package-installs-python-pycache-dir", "{prefix}/*",
     "the private interpreter's bytecode is compiled at build time (checked-hash, reproducible) "
     "because no py3compile trigger manages a private tree"),
    ("library-not-linked-against-libc", "{prefix}/lib/python*/lib-dynload/*",
     "CPython extension modules are loaded into the interpreter, which provides libc"),
    ("embedded-library", "expat {prefix}/lib/python*/lib-dynload/pyexpat.*",
     "pyexpat links Debian's libexpat.so.1 (--with-system-expat); lintian matches the error-message "
     "table pyexpat itself carries"),
)


def applies(tag: str, prefix: str) -> bool:
    """Whether an override can match a tree under this prefix."""
    return tag != "dir-or-file-in-opt" or prefix.startswith("/opt/")


def override_lines(tree: StagedTree) -> list[str]:
    lines = []
    for tag, pattern, reason in OVERRIDES:
        if not applies(tag, tree.prefix):
            continue
        lines.append(f"# {reason}")
        words = pattern.format(prefix=tree.prefix.lstrip("/")).split()
        context = " ".join(words[:-1] + [f"[{words[-1]}]"])
        lines.append(f"{tree.package}: {tag} {context}")
    return lines


def write_overrides(invocation: Invocation, tree: StagedTree) -> str:
    """Write usr/share/lintian/overrides/<pkg>; warn when the maintainer's file will replace it."""
    directory = os.path.join(tree.destdir, "usr", "share", "lintian", "overrides")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, tree.package)
    lines = override_lines(tree)
    with open(path, "w", encoding="utf-8") as fd:
        fd.write("\n".join(lines) + "\n")
    own = os.path.join("debian", f"{tree.package}.lintian-overrides")
    if os.path.isfile(own):
        tags = [line for line in lines if not line.startswith("#")]
        invocation.warn(f"{own} replaces dh-pyrpath's overrides when dh_lintian runs; add: {'; '.join(tags)}")
    return path

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
    ("shared-library-lacks-prerequisites", "{prefix}/lib/python*/lib-dynload/*",
     "CPython extension modules that need no library of their own: the interpreter that loads them "
     "provides libc and libpython"),
    ("embedded-library", "expat {prefix}/lib/python*/lib-dynload/pyexpat.*",
     "pyexpat links Debian's libexpat.so.1 (--with-system-expat); lintian matches the error-message "
     "table pyexpat itself carries"),
)


def applies(tag: str, prefix: str) -> bool:
    """Whether an override can match a tree under this prefix."""
    return tag != "dir-or-file-in-opt" or prefix.startswith("/opt/")


# Why a prebuilt wheel binary may ship with its symbols (one override per such file).
UNSTRIPPED_PREBUILT = ("shipped exactly as its manylinux wheel has it: dh-pyrpath never strips or rewrites "
                       "prebuilt wheel binaries, which auditwheel patched (see dh_pyrpath_prebuilt(1))")


def override_lines(tree: StagedTree, unstripped_prebuilt: list[str] = ()) -> list[str]:
    """Our overrides, each after its reason; unstripped_prebuilt are installed paths."""
    lines = []
    for tag, pattern, reason in OVERRIDES:
        if not applies(tag, tree.prefix):
            continue
        lines.append(f"# {reason}")
        words = pattern.format(prefix=tree.prefix.lstrip("/")).split()
        context = " ".join(words[:-1] + [f"[{words[-1]}]"])
        lines.append(f"{tree.package}: {tag} {context}")
    for path in sorted(unstripped_prebuilt):
        lines.append(f"# {UNSTRIPPED_PREBUILT}")
        lines.append(f"{tree.package}: unstripped-binary-or-object [{path.lstrip('/')}]")
    return lines


def maintainer_overrides(package: str, main_package: str) -> str | None:
    """The maintainer's debian/<pkg>.lintian-overrides (debian/lintian-overrides for the main package)."""
    candidates = [f"debian/{package}.lintian-overrides"] + (["debian/lintian-overrides"] if package == main_package else [])
    return next((path for path in candidates if os.path.isfile(path)), None)


def write_overrides(invocation: Invocation, tree: StagedTree, unstripped_prebuilt: list[str] = ()) -> str:
    """Write usr/share/lintian/overrides/<pkg>: the maintainer's overrides, then ours.

    The add-on tells dh_lintian to leave such packages alone (it would
    install the maintainer's file over this one).  An executable overrides
    file (dh-exec) is dh_lintian's to run: then ours are only reported.
    """
    directory = os.path.join(tree.destdir, "usr", "share", "lintian", "overrides")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, tree.package)
    lines = override_lines(tree, unstripped_prebuilt)
    own = maintainer_overrides(tree.package, invocation.control.main_package)
    if own and os.access(own, os.X_OK):
        tags = [line for line in lines if not line.startswith("#")]
        invocation.warn(f"{own} is executable, so dh_lintian installs its output alone; add: {'; '.join(tags)}")
        return path
    merged = []
    if own:
        with open(own, encoding="utf-8") as fd:
            merged = [fd.read().rstrip("\n")]
    with open(path, "w", encoding="utf-8") as fd:
        fd.write("\n".join(merged + lines) + "\n")
    return path

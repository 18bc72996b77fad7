"""Lintian overrides for what the private-tree layout must carry, each with its reason."""

from __future__ import annotations

import os

from dh_pyrpath.contract.files import pkgfile
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.dpkg.prebuilt_binaries import SHARED_OBJECT, has_symbols
from dh_pyrpath.elf import read_dynamic
from dh_pyrpath.staging import StagedTree

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


def applies(tag: str, prefix: str, bytecode: str = "build") -> bool:
    """Whether an override can match a tree under this prefix, with bytecode compiled then."""
    if tag == "package-installs-python-pycache-dir":
        return bytecode == "build"  # with install, the .deb ships no __pycache__
    return tag != "dir-or-file-in-opt" or prefix.startswith("/opt/")


# What lintian says of the binaries of prebuilt wheels, which dh-pyrpath ships as the wheels have them.
PREBUILT_REASONS = {
    "unstripped-binary-or-object": "shipped exactly as its manylinux wheel has it: dh-pyrpath never strips or "
                                   "rewrites prebuilt wheel binaries, which auditwheel patched (dh_pyrpath_prebuilt(1))",
    "library-not-linked-against-libc": "an extension module of a prebuilt wheel: the interpreter that loads it "
                                       "provides libc",
    "shared-library-lacks-prerequisites": "an extension module of a prebuilt wheel that needs no library of its "
                                          "own: the interpreter that loads it provides libc and libpython",
    "embedded-library": "the libraries the prebuilt wheel bundles in this directory (auditwheel), which its "
                        "extension modules load through their $ORIGIN RUNPATH",
}


def prebuilt_tags(files: list[str], destdir: str) -> list[tuple[str, str]]:
    """(tag, installed path or pattern) that the prebuilt ELF files (staged paths) will draw from lintian."""
    root = os.path.abspath(destdir)
    installed = {path: "/" + os.path.relpath(path, root) for path in files}
    dynamics = read_dynamic(sorted(files))
    tags = []
    for path in sorted(files):
        if has_symbols(path):
            tags.append(("unstripped-binary-or-object", installed[path]))
        needed = dynamics[path].needed
        if SHARED_OBJECT.search(path) and not needed:
            tags.append(("shared-library-lacks-prerequisites", installed[path]))
        elif SHARED_OBJECT.search(path) and "libc.so.6" not in needed:
            tags.append(("library-not-linked-against-libc", installed[path]))
    bundles = sorted({os.path.dirname(p) for p in installed.values() if os.path.dirname(p).endswith(".libs")})
    tags += [("embedded-library", f"{directory}/*") for directory in bundles]
    return tags


def override_lines(tree: StagedTree, prebuilt: list[str] = (), bytecode: str = "build") -> list[str]:
    """Our overrides, each after its reason: the layout's, then one per prebuilt binary that needs it."""
    lines = []
    for tag, pattern, reason in OVERRIDES:
        if not applies(tag, tree.prefix, bytecode):
            continue
        lines.append(f"# {reason}")
        words = pattern.format(prefix=tree.prefix.lstrip("/")).split()
        context = " ".join(words[:-1] + [f"[{words[-1]}]"])
        lines.append(f"{tree.package}: {tag} {context}")
    for tag, path in prebuilt_tags(list(prebuilt), tree.destdir):
        lines.append(f"# {PREBUILT_REASONS[tag]}")
        name = "* " if tag == "embedded-library" else ""  # whichever library lintian recognises there
        lines.append(f"{tree.package}: {tag} {name}[{path.lstrip('/')}]")
    return lines


def write_overrides(invocation: Invocation, tree: StagedTree, prebuilt: list[str] = (), bytecode: str = "build") -> str:
    """Write usr/share/lintian/overrides/<pkg>: the maintainer's overrides, then ours for the tree."""
    return install_overrides(invocation, tree.package, tree.destdir, override_lines(tree, prebuilt, bytecode))


def install_overrides(invocation: Invocation, package: str, destdir: str, lines: list[str]) -> str:
    """usr/share/lintian/overrides/<pkg> in destdir: the maintainer's debian/<pkg>.lintian-overrides, then lines.

    The add-on tells dh_lintian to leave such packages alone (it would
    install the maintainer's file over this one).  An executable overrides
    file (dh-exec) is dh_lintian's to run: then ours are only reported.
    """
    directory = os.path.join(destdir, "usr", "share", "lintian", "overrides")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, package)
    own = pkgfile(package, "lintian-overrides", invocation.control)
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

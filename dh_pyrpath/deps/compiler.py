"""How pip compiles extension modules from sdists: hardened, and without build paths.

CPython's own hardening flags went in as *_NODIST, so sysconfig does not
hand them on; the distribution's flags are given to pip's builds through
CFLAGS/CPPFLAGS/CXXFLAGS/LDFLAGS instead.  pip builds an sdist in a random
temporary directory, which would end up in the debug information (and so
in the build-id): the compiler runs through a small wrapper that maps the
directory it runs in to '.'.
"""

from __future__ import annotations

import os

from dh_pyrpath.cpython.flags import dpkg_buildflags
from dh_pyrpath.staging import StagedTree, state_dir

WRAPPER = """#!/bin/sh
# Written by dh-pyrpath: run the compiler with the current directory (pip's
# random sdist build directory) mapped to '.', so objects do not record it.
compiler=$1
shift
exec "$compiler" "-ffile-prefix-map=$PWD=." "$@"
"""


def write_wrapper(package: str) -> str:
    """The compiler wrapper in the package's scratch space."""
    path = os.path.abspath(os.path.join(state_dir(package), "prefix-map-compiler"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fd:
        fd.write(WRAPPER)
    os.chmod(path, 0o755)
    return path


def compiler_env(tree: StagedTree) -> dict[str, str]:
    """CC, CXX and the distribution's flags for extension modules pip compiles into tree.

    The flags come from dpkg-buildflags in the source tree, so they map it
    to '.', and the staged prefix inside it to the prefix.  The staged headers come first:
    setuptools' distutils takes Python.h's directory from the interpreter's
    configuration, that is the final prefix, which does not exist at build
    time (or holds an installed, older copy of the package).
    """
    wrapper = write_wrapper(tree.package)
    env = {name: dpkg_buildflags(name) for name in ("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS")}
    env["CPPFLAGS"] = f"-I{tree.include} {env['CPPFLAGS']}"
    for name in ("CFLAGS", "CXXFLAGS"):  # the staged headers are recorded as the installed ones (last map wins)
        env[name] += f" -ffile-prefix-map={tree.root}={tree.prefix}"
    env["CC"] = f"{wrapper} {os.environ.get('CC', 'gcc')}"
    env["CXX"] = f"{wrapper} {os.environ.get('CXX', 'g++')}"
    return env

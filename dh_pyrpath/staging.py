"""Where a package's private tree is staged, and what the commands pass on to each other.

The build target stages the tree in the package's scratch space
(debian/.debhelper/pyrpath/<pkg>/stage<prefix>), where it describes itself
at that path (its sysconfig names real directories while sdists compile
against it); the binary target copies it into debian/<pkg> and relocates the
copy to the final prefix.  dh_prep, which empties debian/<pkg> at the start
of every binary run, never touches the stage; dh_clean removes it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import asdict, dataclass

from dh_pyrpath.errors import PyrpathError


# dh-pyrpath's scratch space (dh_clean removes debian/.debhelper).
STATE_ROOT = os.path.join("debian", ".debhelper", "pyrpath")


def state_dir(package: str) -> str:
    """Scratch space for one package."""
    return os.path.join(STATE_ROOT, package)


def sbom_inputs_dir(package: str) -> str:
    """Where the build steps leave what dh_pyrpath_sbom reads (versions, digests, pip reports)."""
    return os.path.join(state_dir(package), "sbom")


def stage_dir(package: str) -> str:
    """The DESTDIR the build target stages the package's tree in."""
    return os.path.abspath(os.path.join(state_dir(package), "stage"))


# What would redirect a private interpreter's loading: the caller's Python settings and library path.
# LD_PRELOAD stays (fakeroot works through it, and what the interpreter writes must be root's in the .deb).
_REDIRECTING = ("LD_LIBRARY_PATH", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")


def interpreter_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a private interpreter runs in: the caller's, less what redirects what it loads."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in _REDIRECTING and not k.startswith("PYTHON")}


@dataclass(frozen=True)
class StagedTree:
    """A private tree under a DESTDIR: staged by dh_pyrpath_buildpython, then copied; where its parts are."""

    package: str
    destdir: str
    prefix: str
    version: str
    build_dirs: tuple[str, ...]

    @property
    def short_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def root(self) -> str:
        """The prefix as staged in the package tree (destdir + prefix)."""
        return os.path.abspath(self.destdir) + self.prefix

    @property
    def bindir(self) -> str:
        return os.path.join(self.root, "bin")

    @property
    def python(self) -> str:
        """The interpreter, where the tree is now."""
        return os.path.join(self.bindir, f"python{self.short_version}")

    @property
    def stdlib(self) -> str:
        """lib/python3.X: the standard library, and site-packages below it."""
        return os.path.join(self.root, "lib", f"python{self.short_version}")

    @property
    def site_packages(self) -> str:
        return os.path.join(self.stdlib, "site-packages")

    @property
    def include(self) -> str:
        """include/python3.X: Python.h and the headers sdists compile against."""
        return os.path.join(self.root, "include", f"python{self.short_version}")

    @property
    def final_python(self) -> str:
        """The interpreter's path once installed."""
        return os.path.join(self.prefix, "bin", f"python{self.short_version}")

    def env(self) -> dict[str, str]:
        """The environment to run this tree's interpreter in."""
        return interpreter_env()

    def placed(self, destdir: str) -> "StagedTree":
        """The same tree copied into another DESTDIR (the package build tree)."""
        return dataclasses.replace(self, destdir=destdir)

    def save(self) -> None:
        os.makedirs(state_dir(self.package), exist_ok=True)
        path = os.path.join(state_dir(self.package), "staged.json")
        with open(path + ".new", "w", encoding="utf-8") as fd:
            json.dump(asdict(self), fd, indent=1)
        os.replace(path + ".new", path)


def load_staged(package: str, command: str) -> StagedTree:
    """The staged tree of a package; a clear error when buildpython has not run."""
    path = os.path.join(state_dir(package), "staged.json")
    try:
        with open(path, encoding="utf-8") as fd:
            data = json.load(fd)
    except (OSError, ValueError):
        raise PyrpathError(f"{package}: no staged CPython ({path} missing); run dh_pyrpath_buildpython before {command}") from None
    data["build_dirs"] = tuple(data["build_dirs"])
    tree = StagedTree(**data)
    if not os.path.isfile(tree.python):
        raise PyrpathError(f"{package}: {tree.python} is missing; dh_pyrpath_buildpython must run again "
                           f"(was {STATE_ROOT} removed?)")
    return tree

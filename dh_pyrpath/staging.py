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


@dataclass(frozen=True)
class StagedTree:
    """What dh_pyrpath_buildpython staged, as the later commands need it."""

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
    def python(self) -> str:
        return os.path.join(self.root, "bin", f"python{self.short_version}")

    @property
    def site_packages(self) -> str:
        return os.path.join(self.root, "lib", f"python{self.short_version}", "site-packages")

    @property
    def final_python(self) -> str:
        """The interpreter's path once installed."""
        return os.path.join(self.prefix, "bin", f"python{self.short_version}")

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

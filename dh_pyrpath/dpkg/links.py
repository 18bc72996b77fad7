"""Console scripts of the private tree, linked into /usr/bin."""

from __future__ import annotations

import os

from dh_pyrpath.config import PackageConfig
from dh_pyrpath.staging import StagedTree

# Scripts every private tree has; not what a maintainer links.
_OWN_SCRIPTS = ("python", "pip", "idle", "pydoc", "2to3")


def check_links(tree: StagedTree, config: PackageConfig) -> None:
    """Fail, listing the scripts there are, when Links names a script the tree's bin/ lacks."""
    for name in config.links:
        if not os.path.isfile(os.path.join(tree.bindir, name)):
            available = ", ".join(sorted(n for n in os.listdir(tree.bindir) if not n.startswith(_OWN_SCRIPTS)))
            raise config.error("Links", f"{name}: there is no {config.prefix}/bin/{name}; scripts found: {available or 'none'}")


def create_links(tree: StagedTree, config: PackageConfig) -> list[str]:
    """Symlink /usr/bin/<name> to <Prefix>/bin/<name> for each of Links; return the links."""
    check_links(tree, config)
    made = []
    for name in config.links:
        usr_bin = os.path.join(tree.destdir, "usr", "bin")
        os.makedirs(usr_bin, exist_ok=True)
        link = os.path.join(usr_bin, name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.join(config.prefix, "bin", name), link)
        made.append(link)
    return made

"""Lintian overrides for what the private-tree layout must carry, each with its reason."""

from __future__ import annotations

import os

from .debhelper import Invocation
from .staging import StagedTree

# (tag, path pattern under the prefix or None for the whole package, reason)
OVERRIDES = (
    ("dir-or-file-in-opt", "{prefix}/*",
     "dh-pyrpath ships the service's private CPython under its own prefix, away from the system Python"),
)


def override_lines(tree: StagedTree) -> list[str]:
    lines = []
    for tag, pattern, reason in OVERRIDES:
        lines.append(f"# {reason}")
        target = pattern.format(prefix=tree.prefix.lstrip("/")) if pattern else ""
        lines.append(f"{tree.package}: {tag}" + (f" [{target}]" if target else ""))
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

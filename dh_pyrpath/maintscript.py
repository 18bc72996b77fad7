"""Maintainer-script snippets, written the way debhelper writes its own."""

from __future__ import annotations

import os

from . import __version__


def add_snippet(package: str, script: str, command: str, body: str) -> str:
    """Put body into debian/<pkg>.<script>.debhelper, replacing an earlier copy of ours."""
    path = os.path.join("debian", f"{package}.{script}.debhelper")
    start = f"# Automatically added by {command}/"
    end = "# End automatically added section"
    kept: list[str] = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fd:
            lines = fd.read().splitlines(keepends=True)
        skipping = False
        for line in lines:
            if line.startswith(start):
                skipping = True
            elif skipping and line.rstrip("\n") == end:
                skipping = False
                continue
            if not skipping:
                kept.append(line)
    block = f"{start}{__version__}\n{body.rstrip()}\n{end}\n"
    with open(path, "w", encoding="utf-8") as fd:
        fd.writelines(kept)
        fd.write(block)
    return path


def purge_prefix_snippet(prefix: str) -> str:
    """postrm: on purge, remove what the service or its runtime left under the prefix."""
    return (
        f'if [ "$1" = "purge" ] && [ -d "{prefix}" ]; then\n'
        f'\trm -rf "{prefix}"\n'
        "fi"
    )

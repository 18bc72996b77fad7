"""pyrpath audit of maintainer scripts: a removal of a directory the package does not own alone.

Packages built by earlier versions of dh-pyrpath ran `rm -rf "<prefix>"` on purge
whatever the prefix was and whoever else had files below it.  A script
that removes recursively a system directory (dh_pyrpath.prefixes), or the
private prefix (or a directory holding it) without asking dpkg first
whether another package owns files there (dpkg-query -S), is a finding.
"""

from __future__ import annotations

import os
import re
import shlex

from dh_pyrpath.audit.findings import Finding
from dh_pyrpath.prefixes import system_directory

SCRIPTS = ("preinst", "postinst", "prerm", "postrm")
_RM = re.compile(r"(?:^|[;&|(`]|\bthen|\bdo|\belse)\s*rm\s+([^;&|\n)`]*)", re.M)


def removed_trees(text: str) -> list[str]:
    """The literal paths a script removes recursively (rm -r/-R/-rf ...), in order."""
    paths = []
    for match in _RM.finditer(text):
        try:
            words = shlex.split(match.group(1), comments=True)
        except ValueError:
            continue
        options = [w for w in words if w.startswith("-") and w != "--"]
        if not any("r" in o.lower() and not o.startswith("--") or o == "--recursive" for o in options):
            continue
        paths += [os.path.normpath(w) for w in words if w.startswith("/") and "$" not in w]
    return paths


def asks_dpkg(text: str, path: str) -> bool:
    """Whether the script asks dpkg who owns files below path before removing it."""
    pattern = rf"dpkg-query\s+(?:-S|--search)\s+[^\n]*?['\"]?{re.escape(path)}(?:/\*)?['\"]?(?:\s|$)"
    return re.search(pattern, text) is not None


def holds_prefix(path: str, prefix: str) -> bool:
    return prefix == path or prefix.startswith(path.rstrip("/") + "/")


def check_script(name: str, text: str, prefix: str) -> list[Finding]:
    findings = []
    for path in dict.fromkeys(removed_trees(text)):
        reason = system_directory(path)
        if reason:
            findings.append(Finding("maintscript", path, f"{name} removes it recursively, and it is a system "
                                                         f"directory ({reason})"))
        elif holds_prefix(path, prefix) and not asks_dpkg(text, path):
            findings.append(Finding("maintscript", path, f"{name} removes it recursively without asking dpkg "
                                                         "(dpkg-query -S) whether another package owns files "
                                                         "below it; rebuild with this dh-pyrpath"))
    return findings


def check_maintainer_scripts(control_dir: str, prefix: str) -> list[Finding]:
    """Findings for the maintainer scripts in a package's control directory (DEBIAN/)."""
    findings = []
    for name in SCRIPTS:
        path = os.path.join(control_dir, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as fd:
                findings += check_script(name, fd.read(), prefix)
    return findings

"""Static-Built-Using: which CPython a package carries, in the field Debian's tooling reads.

dh_pyrpath_buildpython knows it (the Debian source python3.X and its version
when compiling from debian:python3.X, the runtime package's source and
version when copying a runtime) and leaves it in the package's state
directory; dh_pyrpath_install, in the binary target after dh_prep has reset
the substvars, puts it in ${pyrpath:Static-Built-Using}.  dh_gencontrol
(debhelper 13.11) applies no substvar to Static-Built-Using by itself: the
sequence add-on passes -DStatic-Built-Using=${pyrpath:Static-Built-Using}
to dpkg-gencontrol, which drops the field when the value is empty.
"""

from __future__ import annotations

import os

from dh_pyrpath.contract.files import set_substvar
from dh_pyrpath.staging import state_dir

SUBSTVAR = "pyrpath:Static-Built-Using"
RECORD = "static-built-using"


def relation(source: str, version: str) -> str:
    """A Static-Built-Using relation: a source package at exactly one version."""
    return f"{source} (= {version})"


def record(package: str, value: str | None) -> None:
    """Remember what the package's Static-Built-Using is (None: nothing known, e.g. a tarball)."""
    os.makedirs(state_dir(package), exist_ok=True)
    path = os.path.join(state_dir(package), RECORD)
    if value is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path + ".new", "w", encoding="utf-8") as fd:
        fd.write(value + "\n")
    os.replace(path + ".new", path)


def recorded(package: str) -> str | None:
    try:
        with open(os.path.join(state_dir(package), RECORD), encoding="utf-8") as fd:
            return fd.read().strip() or None
    except FileNotFoundError:
        return None


def apply(package: str, destdir: str | None = None) -> str:
    """Write ${pyrpath:Static-Built-Using} for the package (empty when unknown); return the value.

    With destdir, the lintian overrides dh-pyrpath wrote there get the one the field needs.
    """
    value = recorded(package) or ""
    set_substvar(package, SUBSTVAR, value)
    overrides = os.path.join(destdir or "", "usr", "share", "lintian", "overrides", package)
    if value and destdir and os.path.isfile(overrides):
        with open(overrides, "a", encoding="utf-8") as fd:
            fd.write(f"# {LINTIAN_REASON}\n{package}: unknown-field Static-Built-Using\n")
    return value


LINTIAN_REASON = ("dpkg knows Static-Built-Using since 1.21.3 (Debian policy 7.8); bookworm's lintian does "
                  "not know the field yet")

"""Shared test helpers: the checkout on sys.path, and throwaway source trees."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CONTROL = """\
Source: demo
Maintainer: Test <test@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath

Package: svc-arch
Architecture: any

Package: svc-doc
Architecture: all

Package: svc-other
Architecture: armel mips64el

Package: svc-noprof
Architecture: any
Build-Profiles: <!nocheck>
"""


@pytest.fixture
def source_tree(tmp_path, monkeypatch):
    """A minimal source package as the current directory; returns a file writer."""
    (tmp_path / "debian").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEB_HOST_ARCH", "amd64")
    for var in ("DH_INTERNAL_OPTIONS", "DH_OPTIONS", "DH_VERBOSE", "DH_QUIET", "DEB_BUILD_OPTIONS",
                "DEB_BUILD_PROFILES", "DH_INTERNAL_OVERRIDE"):
        monkeypatch.delenv(var, raising=False)

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return str(path)

    write("debian/control", CONTROL)
    return write

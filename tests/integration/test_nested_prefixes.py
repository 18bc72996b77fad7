"""Issue 10: a package at /srv/stack and another at /srv/stack/nova; purging the first keeps the second.

Two source packages generated here (nest-stack, nest-nova: own names,
Install-Project: no, no requirements), built with real dpkg-buildpackage,
installed side by side with real dpkg.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from debs import Built, build_example, dpkg, dpkg_install, dpkg_purge

pytestmark = pytest.mark.slow

STACK, NOVA = "nest-stack", "nest-nova"
PREFIXES = {STACK: "/srv/stack", NOVA: "/srv/stack/nova"}

CONTROL = """\
Source: {name}
Section: net
Priority: optional
Maintainer: dh-pyrpath tests <dh-pyrpath@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: {name}
Architecture: any
Depends: ${{shlibs:Depends}}, ${{misc:Depends}}
Description: nested-prefix test package (dh-pyrpath)
 A private CPython under {prefix}, and nothing else.
"""
CHANGELOG = """\
{name} (1.0) unstable; urgency=medium

  * Test package.

 -- dh-pyrpath tests <dh-pyrpath@example.org>  Tue, 01 Dec 2026 07:00:00 +0000
"""


def write_source(top: Path, name: str, prefix: str) -> None:
    debian = top / name / "debian"
    (debian / "source").mkdir(parents=True)
    (debian / "control").write_text(CONTROL.format(name=name, prefix=prefix))
    (debian / "changelog").write_text(CHANGELOG.format(name=name))
    (debian / "rules").write_text("#!/usr/bin/make -f\n\n%:\n\tdh $@\n")
    (debian / "rules").chmod(0o755)
    (debian / "source" / "format").write_text("3.0 (native)\n")
    (debian / f"{name}.pyrpath").write_text(f"Python-Source: debian:python3.11\nPrefix: {prefix}\n"
                                           "Install-Project: no\n")


@pytest.fixture(scope="module")
def nested(tmp_path_factory) -> dict[str, Built]:
    sources = tmp_path_factory.mktemp("nested-sources")
    built = {}
    for name, prefix in PREFIXES.items():
        write_source(sources, name, prefix)
        built[name] = build_example(name, str(tmp_path_factory.mktemp(name)), examples=str(sources))
    return built


def files_of(package: str) -> list[str]:
    out = subprocess.run(["dpkg-query", "-L", package], check=True, capture_output=True, text=True).stdout
    return sorted(line for line in out.splitlines() if line.strip())


def json_of(prefix: str) -> str:
    """Where the prefix's interpreter imports json from (and that it runs at all)."""
    return subprocess.run([f"{prefix}/bin/python3.11", "-I", "-c", "import json; print(json.__file__)"],
                          check=True, capture_output=True, text=True).stdout.strip()


def test_purging_the_outer_package_keeps_every_file_of_the_inner_one(nested):
    dpkg_install(nested[STACK].debs[STACK], nested[NOVA].debs[NOVA])
    try:
        before = files_of(NOVA)
        assert json_of(PREFIXES[NOVA]) == f"{PREFIXES[NOVA]}/lib/python3.11/json/__init__.py"
        assert os.path.isdir(f"{PREFIXES[NOVA]}/lib/python3.11/json/__pycache__")  # postinst compiled it
        result = dpkg("--purge", STACK)
        assert result.returncode == 0, result.stdout + result.stderr
        said = result.stdout + result.stderr
        assert f"{STACK}: left /srv/stack in place: installed package(s) {NOVA} own it or files below it" in said
        assert not os.path.exists("/srv/stack/bin/python3.11")  # the outer package's own files are gone
        assert files_of(NOVA) == before
        missing = [path for path in before if not os.path.lexists(path)]
        assert missing == []
        assert json_of(PREFIXES[NOVA]) == f"{PREFIXES[NOVA]}/lib/python3.11/json/__init__.py"
    finally:
        dpkg_purge(STACK)
        dpkg_purge(NOVA)
    assert not os.path.exists("/srv/stack"), sorted(str(p) for p in Path("/srv/stack").rglob("*"))[:20]

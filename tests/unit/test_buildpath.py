"""The build-path scan and the scrubbing of CPython's recorded build directory."""

from __future__ import annotations

import os

from dh_pyrpath.cpython.build import scrub_build_paths
from dh_pyrpath.audit.buildpath import files_containing


def test_scan_finds_text_and_binary_hits(tmp_path):
    (tmp_path / "a.py").write_text("x = '/build/pkg-1.0/debian/x'\n")
    (tmp_path / "b.so").write_bytes(b"\x7fELF\0\0/build/pkg-1.0\0")
    (tmp_path / "clean").write_text("nothing here")
    (tmp_path / "empty").write_text("")
    os.symlink("/build/pkg-1.0", tmp_path / "link")
    hits = files_containing(str(tmp_path), ["/build/pkg-1.0", ""])
    assert sorted(os.path.basename(p) for p, _ in hits) == ["a.py", "b.so"]


def test_scrub_sysconfig_and_makefile(tmp_path):
    build = "/cache/.build-1/src"
    lib = tmp_path / "opt/svc/lib/python3.11"
    (lib / "config-3.11-x86_64-linux-gnu").mkdir(parents=True)
    (lib / "_sysconfigdata__linux_x86_64-linux-gnu.py").write_text(
        f"build_time_vars = {{'CFLAGS_NODIST': '-g -ffile-prefix-map={build}=. -fstack-protector-strong',\n"
        f" 'abs_srcdir': '{build}'}}\n")
    (lib / "config-3.11-x86_64-linux-gnu/Makefile").write_text(f"srcdir= {build}\n")
    changed = scrub_build_paths(str(tmp_path), "/opt/svc", "3.11", build)
    assert len(changed) == 2
    assert files_containing(str(tmp_path), [build]) == []
    data = (lib / "_sysconfigdata__linux_x86_64-linux-gnu.py").read_text()
    assert "'-g -fstack-protector-strong'" in data
    assert "/opt/svc/lib/python3.11/config-3.11-x86_64-linux-gnu" in data

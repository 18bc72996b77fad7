"""Shebang rewriting: plain #! lines and pip's '''exec' trampoline."""

from __future__ import annotations

import os

from dh_pyrpath.tree.shebang import rewrite_script, rewrite_tree

STAGED = "/build/src/debian/svc/opt/svc"
PREFIX = "/opt/svc"
PY = "/opt/svc/bin/python3.11"


def test_plain_shebang_to_final_prefix():
    script = b"#!" + STAGED.encode() + b"/bin/python3.11\nimport sys\n"
    assert rewrite_script(script, STAGED, PREFIX, PY) == b"#!/opt/svc/bin/python3.11\nimport sys\n"


def test_unversioned_python_of_ensurepip_scripts_is_fixed():
    assert rewrite_script(b"#!/opt/svc/bin/python\nx\n", STAGED, PREFIX, PY) == b"#!/opt/svc/bin/python3.11\nx\n"


def test_already_final_and_non_python_scripts_untouched():
    assert rewrite_script(b"#!/opt/svc/bin/python3.11\n", STAGED, PREFIX, PY) is None
    assert rewrite_script(b"#!/bin/sh\necho hi\n", STAGED, PREFIX, PY) is None
    assert rewrite_script(b"#!/usr/bin/perl\n", STAGED, PREFIX, PY) is None
    assert rewrite_script(b"#!/usr/bin/pythonista\n", STAGED, PREFIX, PY) is None
    assert rewrite_script(b"\x7fELF...", STAGED, PREFIX, PY) is None


def test_system_python_shebangs_point_into_the_prefix():
    for line in (b"#!/usr/bin/env python3", b"#!/usr/local/bin/python", b"#!/usr/bin/python3.11", b"#! /usr/bin/env python"):
        assert rewrite_script(line + b"\nx\n", STAGED, PREFIX, PY) == b"#!/opt/svc/bin/python3.11\nx\n", line
    assert rewrite_script(b"#!/usr/bin/env python3 -u\n", STAGED, PREFIX, PY) == b"#!/opt/svc/bin/python3.11 -u\n"


def test_trampoline_becomes_plain_shebang():
    long_root = "/b/" + "x" * 150 + "/debian/svc/opt/svc"
    script = (b"#!/bin/sh\n'''exec' " + long_root.encode() + b"/bin/python3.11 \"$0\" \"$@\"\n' '''\n"
              b"# -*- coding: utf-8 -*-\nimport re\n")
    assert rewrite_script(script, long_root, PREFIX, PY) == b"#!/opt/svc/bin/python3.11\n# -*- coding: utf-8 -*-\nimport re\n"


def test_trampoline_kept_when_final_path_is_too_long():
    prefix = "/opt/" + "p" * 140
    python = prefix + "/bin/python3.11"
    staged = "/build/debian/svc" + prefix
    script = b"#!/bin/sh\n'''exec' " + staged.encode() + b"/bin/python3.11 \"$0\" \"$@\"\n' '''\nimport re\n"
    new = rewrite_script(script, staged, prefix, python)
    assert new.startswith(b"#!/bin/sh\n'''exec' " + python.encode() + b" ")
    assert staged.encode() not in new


def test_rewrite_tree_and_permissions(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "cgi.py").write_bytes(b"#! /usr/local/bin/python\n")
    (bindir / "svc").write_bytes(b"#!" + STAGED.encode() + b"/bin/python3.11\n")
    (bindir / "svc").chmod(0o644)
    os.symlink("svc", bindir / "link")
    (tmp_path / "lib" / "certs.py").write_bytes(b"#!/opt/svc/bin/python3.11\n")  # final already, not executable
    (tmp_path / "lib" / "certs.py").chmod(0o644)
    (tmp_path / "lib" / "plain.py").write_bytes(b"x = 1\n")
    (tmp_path / "lib" / "plain.py").chmod(0o644)
    changed = rewrite_tree(str(tmp_path), STAGED, PREFIX, PY)
    assert changed == [str(bindir / "svc"), str(tmp_path / "lib" / "certs.py"), str(tmp_path / "lib" / "cgi.py")]
    assert (tmp_path / "lib" / "cgi.py").read_bytes() == b"#!/opt/svc/bin/python3.11\n"
    assert (bindir / "svc").read_bytes() == b"#!/opt/svc/bin/python3.11\n"
    assert (bindir / "svc").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "lib" / "certs.py").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "lib" / "plain.py").stat().st_mode & 0o777 == 0o644
    assert rewrite_tree(str(tmp_path), STAGED, PREFIX, PY) == []

"""Maintainer scripts: system directories, the purge guard, install-time bytecode, snippet order."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dh_pyrpath.audit.scripts import check_script, removed_trees
from dh_pyrpath.dpkg.maintscripts import clean_snippet, compile_snippet, purge_prefix_snippet
from dh_pyrpath.dpkg.pycache import PROGRAM
from dh_pyrpath.prefixes import suggestion, system_directory

REFUSED = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/libx32", "/media", "/mnt", "/opt",
           "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/var", "/usr", "/usr/lib/svc", "/usr/local",
           "/usr/local/svc", "/var/lib", "/var/opt", "/var/log", "/etc/svc", "/lib/svc", "/run/svc", "/tmp/svc"]
ACCEPTED = ["/opt/svc", "/srv/stack", "/srv/stack/nova", "/var/lib/svc", "/var/opt/svc", "/home/svc", "/data/svc"]


@pytest.mark.parametrize("path", REFUSED)
def test_system_directories_are_named(path):
    assert system_directory(path)


@pytest.mark.parametrize("path", ACCEPTED)
def test_directories_of_their_own_are_accepted(path):
    assert system_directory(path) is None


def test_suggestion_keeps_the_parent_when_a_child_is_allowed():
    assert suggestion("/srv", "foo") == "/srv/foo or /opt/foo"
    assert suggestion("/etc", "foo") == suggestion("/opt", "foo") == "/opt/foo"


def sh(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-e", "-c", script, "postrm", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def fake_dpkg_query(tmp_path, output: str) -> dict[str, str]:
    """A dpkg-query on PATH that answers -S with output (the real one knows nothing of tmp_path)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "dpkg-query").write_text(f"#!/bin/sh\nprintf '%s' '{output}'\n[ -n '{output}' ]\n")
    (bindir / "dpkg-query").chmod(0o755)
    return {"PATH": f"{bindir}:{os.environ['PATH']}"}


@pytest.fixture
def var_tmp(tmp_path):
    """A directory outside /tmp, which is a system directory (prefixes below it are refused)."""
    top = tempfile.mkdtemp(dir="/var/tmp", prefix="pyrpath-test-")
    yield Path(top)
    shutil.rmtree(top, ignore_errors=True)


def test_purge_removes_a_prefix_nobody_else_owns(tmp_path, var_tmp):
    prefix = var_tmp / "srv/stack"
    (prefix / "var").mkdir(parents=True)
    result = sh(purge_prefix_snippet(str(prefix), "stack"), "purge", env=fake_dpkg_query(tmp_path, ""))
    assert result.returncode == 0 and not prefix.exists(), result.stderr


def test_purge_keeps_a_prefix_another_package_owns_files_in(tmp_path, var_tmp):
    prefix = var_tmp / "srv/stack"
    (prefix / "nova/bin").mkdir(parents=True)
    answer = f"stack:amd64, nova: {prefix}\\nnova: {prefix}/nova/bin\\ndiversion by x from: {prefix}/y\\n"
    result = sh(purge_prefix_snippet(str(prefix), "stack"), "purge", env=fake_dpkg_query(tmp_path, answer))
    assert result.returncode == 0 and (prefix / "nova/bin").is_dir()
    assert result.stderr == (f"stack: left {prefix} in place: installed package(s) nova own it or files below it; "
                             "stack's own files are removed, what its service wrote there is kept\n")


def test_remove_does_not_touch_the_prefix(var_tmp):
    (var_tmp / "p").mkdir()
    assert sh(purge_prefix_snippet(str(var_tmp / "p"), "x"), "remove").returncode == 0
    assert (var_tmp / "p").is_dir()


def test_no_rm_is_ever_written_for_a_system_directory():
    snippet = purge_prefix_snippet("/srv", "x")
    assert "rm" not in snippet.split() and "is a system directory" in snippet


def test_audit_flags_the_old_unguarded_purge_and_system_directories():
    old = 'if [ "$1" = "purge" ] && [ -d "/opt/foo" ]; then\n\trm -rf "/opt/foo"\nfi\n'
    assert [f.path for f in check_script("postrm", old, "/opt/foo")] == ["/opt/foo"]
    assert check_script("postrm", purge_prefix_snippet("/srv/stack", "stack"), "/srv/stack") == []
    text = "rm -rf /etc; rm -f /srv/file\nrm -r -- /srv\nrm -fr \"$X\"\n[ -d /var/lib/x ] && rm -rf /var/lib/x\n"
    assert removed_trees(text) == ["/etc", "/srv", "/var/lib/x"]
    assert [(f.kind, f.path) for f in check_script("postrm", text, "/opt/svc")] == [("maintscript", "/etc"),
                                                                                   ("maintscript", "/srv")]


def test_snippets_are_posix_sh():
    for snippet in (purge_prefix_snippet("/srv/stack", "stack"), compile_snippet("/srv/stack/bin/python3.11",
                    "/srv/stack", "stack"), clean_snippet("/srv/stack/bin/python3.11", "/srv/stack", "stack")):
        assert subprocess.run(["dash", "-n", "-c", snippet]).returncode == 0, snippet


def run_program(action: str, prefix, listing: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-c", PROGRAM, action, str(prefix), "svc"],
                          input="".join(f"{line}\n" for line in listing), capture_output=True, text=True)


def test_install_time_bytecode_touches_only_the_listed_files(tmp_path):
    """compile writes the .pyc of the package's own files; clean removes them and the emptied __pycache__."""
    prefix = tmp_path / "srv/stack"
    ours, broken, other = prefix / "lib/a.py", prefix / "lib/broken.py", prefix / "nova/lib/b.py"
    for path, text in ((ours, "x = 1\n"), (broken, "def (\n"), (other, "y = 2\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    listing = [str(prefix), str(prefix / "lib"), str(ours), str(broken), "/elsewhere/c.py"]
    compiled = run_program("compile", prefix, listing)
    assert compiled.returncode == 0
    assert compiled.stderr == f"svc: 1 of 2 files did not byte-compile and run from source, e.g. {broken}\n"
    pyc = importlib.util.cache_from_source(str(ours))
    assert os.path.isfile(pyc) and not (other.parent / "__pycache__").exists()
    (other.parent / "__pycache__").mkdir()  # the other package's bytecode stays
    cleaned = run_program("clean", prefix, listing)
    assert cleaned.returncode == 0 and cleaned.stderr == ""
    assert not os.path.exists(os.path.dirname(pyc)) and (other.parent / "__pycache__").is_dir()

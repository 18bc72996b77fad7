"""Lintian overrides: ours with a reason each, after the maintainer's own."""

from __future__ import annotations

import os
import subprocess

from dh_pyrpath.contract.invocation import parse_invocation
from dh_pyrpath.dpkg.lintian import write_overrides
from dh_pyrpath.staging import StagedTree

TREE = StagedTree("svc-arch", "debian/svc-arch", "/opt/svc-arch", "3.11.2", ())


def write(source_tree, own=None, executable=False):
    if own is not None:
        path = source_tree("debian/svc-arch.lintian-overrides", own)
        if executable:
            os.chmod(path, 0o755)
    invocation = parse_invocation("dh_pyrpath_install", [], environ={})
    path = write_overrides(invocation, TREE)
    return open(path).read() if os.path.exists(path) else None


def test_every_override_has_its_reason(source_tree):
    lines = write(source_tree).splitlines()
    tags = [i for i, line in enumerate(lines) if line.startswith("svc-arch: ")]
    assert "svc-arch: dir-or-file-in-opt [opt/svc-arch/*]" in lines
    assert all(lines[i - 1].startswith("# ") for i in tags) and len(tags) == 5


def test_maintainer_overrides_come_first(source_tree):
    text = write(source_tree, "# local package\nsvc-arch: initial-upload-closes-no-bugs\n")
    assert text.startswith("# local package\nsvc-arch: initial-upload-closes-no-bugs\n# ")
    assert "svc-arch: dir-or-file-in-opt" in text


def test_executable_overrides_are_left_to_dh_lintian(source_tree, capsys):
    assert write(source_tree, "#!/usr/bin/dh-exec\nsvc-arch: foo\n", executable=True) is None
    assert "is executable, so dh_lintian installs its output alone; add: svc-arch: dir-or-file-in-opt" in capsys.readouterr().err


def compile_so(path, source="int f(void) { return 1; }\n", libs=()):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    c_file = path + ".c"
    with open(c_file, "w") as fd:
        fd.write(source)
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-nostdlib", "-o", path, c_file, *libs], check=True)
    os.unlink(c_file)
    return path


def test_prebuilt_binaries_get_one_reasoned_override_per_finding(source_tree):
    site = "debian/svc-arch/opt/svc-arch/lib/python3.11/site-packages"
    module = compile_so(os.path.abspath(f"{site}/m/_x.cpython-311-x86_64-linux-gnu.so"))
    bundled = compile_so(os.path.abspath(f"{site}/m.libs/libz-1234.so.1"))
    invocation = parse_invocation("dh_pyrpath_install", [], environ={})
    lines = open(write_overrides(invocation, TREE, [module, bundled])).read().splitlines()
    expected = [
        "svc-arch: unstripped-binary-or-object [opt/svc-arch/lib/python3.11/site-packages/m/_x.cpython-311-x86_64-linux-gnu.so]",
        "svc-arch: shared-library-lacks-prerequisites [opt/svc-arch/lib/python3.11/site-packages/m/_x.cpython-311-x86_64-linux-gnu.so]",
        "svc-arch: embedded-library * [opt/svc-arch/lib/python3.11/site-packages/m.libs/*]",
    ]
    for line in expected:
        assert line in lines and lines[lines.index(line) - 1].startswith("# "), lines
    assert lines[lines.index(expected[0]) - 1].startswith("# shipped exactly as its manylinux wheel has it")


def test_no_pycache_override_when_postinst_compiles(source_tree):
    source_tree("debian/control.keep", "")
    invocation = parse_invocation("dh_pyrpath_install", [], environ={})
    text = open(write_overrides(invocation, TREE, (), "install")).read()
    assert "package-installs-python-pycache-dir" not in text and "dir-or-file-in-opt" in text
    assert "package-installs-python-pycache-dir" in open(write_overrides(invocation, TREE, (), "build")).read()

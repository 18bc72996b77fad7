"""pyrpath audit on synthetic trees: a clean one, and one planted leak of each kind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from dh_pyrpath.audit.checks import audit, check_script, find_prefixes, refuse_leaks, script_interpreter, static_audit
from dh_pyrpath.audit.findings import Layout
from dh_pyrpath.audit.probe import probe_findings
from dh_pyrpath.elf import expand_origin, is_system_dir, parse_dynamic, read_dynamic
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.sbom.model import CPython, Sbom, Subject, document, dumps
from dh_pyrpath.staging import StagedTree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYRPATH = os.path.join(ROOT, "debhelper", "pyrpath")
PREFIX = "/opt/svc"
SYSTEM_LIBPYTHON = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc (build-essential)")


def gcc(*args: str) -> None:
    subprocess.run(["gcc", "-O0", "-Wl,--no-as-needed", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def elves(tmp_path_factory):
    """Tiny ELF files: a fake libpython, an outside library, and programs linking them."""
    work = tmp_path_factory.mktemp("elves")
    (work / "lib.c").write_text("int leak(void) { return 1; }\n")
    (work / "main.c").write_text("int leak(void);\nint main(void) { return leak(); }\n")
    (work / "ext.c").write_text("int leak(void);\nint ext(void) { return leak(); }\n")
    libdir, outside = work / "lib", work / "outside"
    libdir.mkdir()
    outside.mkdir()
    gcc("-shared", "-fPIC", "-Wl,-soname,libpython3.11.so.1.0", "-o", str(libdir / "libpython3.11.so.1.0"),
        str(work / "lib.c"))
    gcc("-shared", "-fPIC", "-Wl,-soname,libleak.so", "-o", str(outside / "libleak.so"), str(work / "lib.c"))
    main = str(work / "main.c")
    gcc("-o", str(work / "python-ok"), main, f"-L{libdir}", "-l:libpython3.11.so.1.0", "-Wl,-rpath,$ORIGIN/../lib")
    gcc("-o", str(work / "python-norunpath"), main, f"-L{libdir}", "-l:libpython3.11.so.1.0")
    gcc("-shared", "-fPIC", "-o", str(work / "ext-leak.so"), str(work / "ext.c"), f"-L{outside}", "-lleak",
        f"-Wl,-rpath,{outside}")
    return {"libpython": str(libdir / "libpython3.11.so.1.0"), "outside": str(outside),
            "python-ok": str(work / "python-ok"), "python-norunpath": str(work / "python-norunpath"),
            "ext-leak": str(work / "ext-leak.so")}


def write(path, content: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    path.chmod(mode)


def make_tree(root, elves, prefix: str = PREFIX):
    """A package tree shaped like dh-pyrpath's: its own interpreter, libpython, stdlib, a script."""
    top = root / prefix.lstrip("/")
    write(top / "bin/python3.11", open(elves["python-ok"], "rb").read(), 0o755)
    os.symlink("python3.11", top / "bin/python3")
    write(top / "lib/libpython3.11.so.1.0", open(elves["libpython"], "rb").read())
    os.symlink("libpython3.11.so.1.0", top / "lib/libpython3.11.so")
    write(top / "lib/python3.11/os.py", "# the stdlib\n")
    write(top / "lib/python3.11/site-packages/svc/__init__.py", "#!/opt/svc/bin/python3.11\nprint('hi')\n")
    write(top / "bin/svc", f"#!{prefix}/bin/python3.11\nimport svc\n", 0o755)
    write(top / "bin/tool.sh", "#!/bin/sh\necho ok\n", 0o755)
    (root / "usr/bin").mkdir(parents=True)
    os.symlink(f"{prefix}/bin/svc", root / "usr/bin/svc")
    write(root / "usr/share/doc/svc/copyright", "Files: *\n")
    write(root / "usr/share/doc/svc/sbom.cdx.json", minimal_sbom(prefix))
    return top


def minimal_sbom(prefix: str) -> str:
    """The SBOM of a tree that carries CPython and nothing else."""
    cpython = CPython("3.11.2", "debian:python3.11", "0" * 64, False, None, "none", (), f"{prefix}/bin/python3.11")
    return dumps(document(Sbom(Subject("svc", "1.0", "amd64", prefix), cpython, (), ())))


def kinds(report) -> list[tuple[str, str]]:
    return sorted((f.kind, f.path) for f in report.findings)


@needs_gcc
def test_clean_tree_has_no_findings(tmp_path, elves):
    make_tree(tmp_path, elves)
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree")
    assert report.findings == [], [f.line() for f in report.findings]
    assert report.isolated and report.checked["elf_files"] == 2 and report.checked["scripts"] == 3


@needs_gcc
def test_libpython_resolving_outside_the_prefix(tmp_path, elves):
    top = make_tree(tmp_path, elves)
    shutil.copy(elves["python-norunpath"], top / "bin/python3.11")
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree")
    assert kinds(report) == [("libpython", "/opt/svc/bin/python3.11")]
    if os.path.exists(SYSTEM_LIBPYTHON):  # Debian's libpython3.11 is installed: it resolves there
        assert f"resolves to {SYSTEM_LIBPYTHON}" in report.findings[0].detail


@needs_gcc
def test_libpython_symlink_to_the_system_copy(tmp_path, elves):
    top = make_tree(tmp_path, elves)
    os.unlink(top / "lib/libpython3.11.so.1.0")
    os.symlink(SYSTEM_LIBPYTHON, top / "lib/libpython3.11.so.1.0")
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree")
    assert ("libpython", "/opt/svc/bin/python3.11") in kinds(report)


@needs_gcc
def test_needed_library_and_runpath_outside_the_prefix(tmp_path, elves):
    top = make_tree(tmp_path, elves)
    write(top / "lib/python3.11/lib-dynload/_leak.so", open(elves["ext-leak"], "rb").read())
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree")
    ext = "/opt/svc/lib/python3.11/lib-dynload/_leak.so"
    assert kinds(report) == [("library", ext), ("runpath", ext)]
    library = next(f for f in report.findings if f.kind == "library")
    assert f"libleak.so resolves to {elves['outside']}/libleak.so (RUNPATH {elves['outside']})" in library.detail


@needs_gcc
def test_build_paths(tmp_path, elves):
    top = make_tree(tmp_path, elves)
    write(top / "lib/python3.11/_sysconfigdata.py", "srcdir = '/build/svc-1.0/debian/svc/opt/svc/lib'\n")
    write(top / "lib/python3.11/cached.pyc", b"\xe3\x00/root/.cache/dh-pyrpath/python/.build-"
          + b"0" * 32 + b"-abc/src/Lib/os.py\x00")
    write(top / "share/notes.txt", "made in /srv/work/svc\n")
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree", ["/srv/work/svc"])
    found = {f.path: f.detail for f in report.findings}
    assert sorted(found) == ["/opt/svc/lib/python3.11/_sysconfigdata.py", "/opt/svc/lib/python3.11/cached.pyc",
                             "/opt/svc/share/notes.txt"]
    assert found["/opt/svc/lib/python3.11/_sysconfigdata.py"].endswith("/build/svc-1.0/debian/svc/opt/svc")
    assert "/.build-0000" in found["/opt/svc/lib/python3.11/cached.pyc"]
    assert {f.kind for f in report.findings} == {"build-path"}


@needs_gcc
def test_shebangs_outside_the_prefix(tmp_path, elves):
    top = make_tree(tmp_path, elves)
    write(top / "bin/a", "#!/usr/bin/python3\n", 0o755)
    write(top / "bin/b", "#!/usr/bin/env python3\n", 0o755)
    write(top / "bin/c", "#!/bin/sh\n'''exec' /usr/bin/python3.11 \"$0\" \"$@\"\n' '''\nimport x\n", 0o755)
    write(top / "bin/d", "#!/opt/svc/bin/python3.12\n", 0o755)
    write(top / "bin/e", "#!/usr/local/bin/ruby\n", 0o755)  # not a Python: not ours to judge
    write(tmp_path / "usr/sbin/helper", "#!/usr/bin/python3\n", 0o755)
    report = static_audit(Layout(str(tmp_path), PREFIX), "tree")
    assert kinds(report) == [("shebang", f"/opt/svc/bin/{n}") for n in "abcd"] + [("shebang", "/usr/sbin/helper")]


@needs_gcc
def test_virtualenv_like_prefix(tmp_path, elves):
    """What a virtualenv looks like: the system interpreter linked in, no stdlib, pyvenv.cfg."""
    top = tmp_path / "opt/venvs/svc"
    (top / "bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3.11", top / "bin/python3")
    os.symlink("python3", top / "bin/python3.11")
    write(top / "pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n")
    write(top / "bin/svc", "#!/opt/venvs/svc/bin/python3\n", 0o755)
    os.symlink("/usr/lib/python3/dist-packages/six.py", tmp_path / "six.py")
    write(top / "lib/python3.11/site-packages/x.py", "")
    os.symlink("/usr/lib/python3/dist-packages/six.py", top / "lib/python3.11/site-packages/six.py")
    assert find_prefixes(str(tmp_path)) == ["/opt/venvs/svc"]
    report = static_audit(Layout(str(tmp_path), "/opt/venvs/svc"), "tree")
    assert kinds(report) == [
        ("interpreter", "/opt/venvs/svc/bin/python3"), ("interpreter", "/opt/venvs/svc/bin/python3.11"),
        ("interpreter", "/opt/venvs/svc/lib/python3.11/os.py"), ("interpreter", "/opt/venvs/svc/pyvenv.cfg"),
        ("shebang", "/opt/venvs/svc/bin/svc"), ("symlink", "/opt/venvs/svc/lib/python3.11/site-packages/six.py"),
    ]


def test_script_interpreter_forms():
    assert script_interpreter(b"#!/usr/bin/env -S python3 -u\n") == ("/usr/bin/env", "python3")
    assert script_interpreter(b"#! /opt/x/bin/python3.11 -I\n") == ("/opt/x/bin/python3.11", None)
    assert script_interpreter(b"#!/bin/sh\n'''exec' /p/bin/python3 \"$0\"\n' '''\n") == ("/p/bin/python3", None)
    assert script_interpreter(b"#!\n") is None and script_interpreter(b"print()\n") is None
    layout = Layout("/nonexistent", "/opt/x")
    assert check_script(layout, "/opt/x/a", b"#!/usr/bin/env bash\n") is None
    assert check_script(layout, "/opt/x/a", b"#!/usr/bin/perl\n") is None
    assert check_script(layout, "/opt/x/a", b"#!python3\n").detail.startswith("#!python3 is a Python outside")


def test_readelf_parsing_and_origin():
    text = (b" 0x0000000000000001 (NEEDED)             Shared library: [libpython3.11.so.1.0]\n"
            b" 0x000000000000001d (RUNPATH)            Library runpath: [$ORIGIN/../lib:/usr/lib/x]\n"
            b" 0x000000000000000e (SONAME)             Library soname: [libx.so.1]\n")
    dynamic = parse_dynamic(text)
    assert dynamic.needed == ("libpython3.11.so.1.0",) and dynamic.soname == "libx.so.1"
    assert dynamic.search_path() == ("$ORIGIN/../lib", "/usr/lib/x")
    assert expand_origin("${ORIGIN}/../lib", "/opt/x/bin") == "/opt/x/lib"
    assert is_system_dir("/usr/lib/x86_64-linux-gnu") and is_system_dir("/lib")
    assert not is_system_dir("/usr/local/lib") and not is_system_dir("/usr/libexec") and not is_system_dir("/opt/x")


@needs_gcc
def test_readelf_batches_several_files(elves):
    paths = [elves["python-ok"], elves["ext-leak"], elves["libpython"]]
    dynamics = read_dynamic(paths)
    assert dynamics[elves["python-ok"]].runpath == ("$ORIGIN/../lib",)
    assert dynamics[elves["ext-leak"]].needed[0] == "libleak.so"
    assert dynamics[elves["libpython"]].soname == "libpython3.11.so.1.0"


def test_probe_findings_from_a_virtualenv_run():
    report = {"executable": "/opt/v/bin/python3", "prefix": "/opt/v", "base_prefix": "/usr",
              "imported": ["_ssl"], "errors": [["_tkinter", "ImportError: libtk8.6.so"]],
              "outside": {"os": "/usr/lib/python3.11/os.py"}, "modules": 40,
              "path": ["/usr/lib/python3.11"],
              "maps": ["/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/local/lib/libz.so.1"]}
    findings, notes, modules = probe_findings("/opt/v", "/opt/v/bin/python3", report)
    assert sorted((f.kind, f.path) for f in findings) == [
        ("mapped", "/usr/bin/python3.11"), ("mapped", "/usr/local/lib/libz.so.1"),
        ("module", "/usr/lib/python3.11/os.py"), ("sys.path", "/opt/v/bin/python3"),
        ("sys.path", "/usr/lib/python3.11")]
    assert notes == ["could not import _tkinter (ImportError: libtk8.6.so)"] and modules == 40


def test_installed_prefix_on_the_system_python_is_not_isolated(tmp_path):
    """The runtime check runs the prefix's interpreter: here the system's, linked in."""
    prefix = tmp_path / "opt/venv"
    (prefix / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), prefix / "bin/python3")
    report = audit(str(prefix))
    found = {f.kind for f in report.findings}
    assert {"interpreter", "module", "sys.path"} <= found
    assert report.checked["modules_loaded"] > 20
    assert any(f.kind == "module" and f.path.endswith("/json/__init__.py") is False for f in report.findings)


@needs_gcc
def test_refuse_leaks_in_dh_pyrpath_install(tmp_path, elves, monkeypatch):
    monkeypatch.chdir(tmp_path)
    destdir = tmp_path / "debian/svc"
    top = make_tree(destdir, elves)
    tree = StagedTree("svc", "debian/svc", PREFIX, "3.11.2", ("/cache/python/.build-x/src",))
    refuse_leaks(tree)  # clean
    write(top / "lib/python3.11/a.py", f"HERE = '{tmp_path}/src'\n")
    write(top / "bin/b", "#!/usr/bin/python3\n", 0o755)
    with pytest.raises(PyrpathError) as error:
        refuse_leaks(tree)
    message = str(error.value)
    assert message.startswith("2 isolation finding(s) in debian/svc: shebang: /opt/svc/bin/b: #!/usr/bin/python3")
    assert f"build-path: /opt/svc/lib/python3.11/a.py: contains the build path {tmp_path}" in message
    assert "run pyrpath audit --prefix /opt/svc debian/svc for all" in message


def run_pyrpath(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYRPATH, "audit", *args], capture_output=True, text=True)


def build_deb(tree, out) -> str:
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN/control").write_text("Package: svc\nVersion: 1.0\nArchitecture: amd64\nMaintainer: T <t@e.org>\n"
                                         "Description: test\n")
    deb = str(out / "svc_1.0_amd64.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b", str(tree), deb], check=True,
                   capture_output=True)
    return deb


@needs_gcc
def test_command_on_a_deb_clean_and_leaking(tmp_path, elves):
    tree = tmp_path / "tree"
    top = make_tree(tree, elves)
    clean = run_pyrpath(build_deb(tree, tmp_path))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("pyrpath audit: ") and "isolated, no findings" in clean.stdout
    write(top / "bin/leak", "#!/usr/bin/python3\n", 0o755)
    os.unlink(tmp_path / "svc_1.0_amd64.deb")
    shutil.rmtree(tree / "DEBIAN")
    deb = build_deb(tree, tmp_path)
    human = run_pyrpath(deb)
    assert human.returncode == 1 and "NOT isolated, 1 finding(s)" in human.stdout
    assert "    /opt/svc/bin/leak: #!/usr/bin/python3 is a Python outside /opt/svc" in human.stdout
    machine = run_pyrpath("--json", deb)
    assert machine.returncode == 1 and machine.stderr == ""
    report = json.loads(machine.stdout)
    assert report["prefix"] == PREFIX and report["isolated"] is False
    assert report["findings"] == [{"kind": "shebang", "path": "/opt/svc/bin/leak",
                                   "detail": "#!/usr/bin/python3 is a Python outside /opt/svc; "
                                             "point it at /opt/svc/bin/python3.X"}]
    tree_run = run_pyrpath("--prefix", PREFIX, str(tree))
    assert tree_run.returncode == 1 and "/opt/svc/bin/leak" in tree_run.stdout


@pytest.mark.parametrize("args,message", [
    (["/nonexistent/svc.deb"], "/nonexistent/svc.deb: no such file or directory; give a .deb or an installed prefix"),
    (["--prefix", "/opt/nope", "{tmp}"], "--prefix /opt/nope: no such directory in"),
    (["{tmp}"], "cannot tell the private prefix: found none (no <dir>/bin/python3*); give --prefix"),
    (["{tmp}/notadeb"], "notadeb: not a readable .deb"),
    (["/usr"], "/usr: this is the system's Python, not a private prefix"),
])
def test_command_errors(tmp_path, args, message):
    (tmp_path / "notadeb").write_text("hello\n")
    result = run_pyrpath(*[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 255, result
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("pyrpath audit: error: ")
    assert message in result.stderr


def test_bench_dh_virtualenv_pins_match_the_example():
    def pins(path: str) -> list[str]:
        with open(path, encoding="utf-8") as fd:
            return [line.strip() for line in fd if line.strip() and not line.startswith("#")]

    example = pins(os.path.join(ROOT, "examples/hello-service/debian/hello-service.requirements.txt"))
    bench = pins(os.path.join(ROOT, "bench/dh-virtualenv/hello-service/debian/hello-service-venv.requirements.txt"))
    assert bench == example


@needs_gcc
def test_non_utf8_file_names_are_reported_escaped(tmp_path, elves):
    tree = tmp_path / "tree"
    top = make_tree(tree, elves)
    (top / "share").mkdir()
    with open(os.path.join(os.fsencode(top / "share"), b"caf\xe9.txt"), "w") as fd:
        fd.write("built in /build/svc-1.0/debian/svc/opt/svc\n")
    result = subprocess.run([PYRPATH, "audit", "--prefix", PREFIX, str(tree)], capture_output=True, text=True,
                            env=dict(os.environ, LC_ALL="C"))
    assert result.returncode == 1 and result.stderr == "", result.stderr
    assert "/opt/svc/share/caf\\xe9.txt: contains the build path /build/svc-1.0/debian/svc/opt/svc" in result.stdout
    machine = subprocess.run([PYRPATH, "audit", "--json", "--prefix", PREFIX, str(tree)], capture_output=True)
    assert json.loads(machine.stdout)["findings"][0]["path"] == "/opt/svc/share/caf\\xe9.txt"


OLD_POSTRM = """#!/bin/sh
set -e
# Automatically added by dh_pyrpath_install/0.1.0
if [ "$1" = "purge" ] && [ -d "/srv/stack" ]; then
\trm -rf "/srv/stack"
fi
# End automatically added section
"""


def test_deb_whose_postrm_removes_its_prefix_unguarded_is_a_finding(tmp_path):
    """What packages built by earlier dh-pyrpath do on purge: rm -rf of a prefix others may share."""
    tree = tmp_path / "tree"
    write(tree / "srv/stack/bin/python3.11", b"#!/bin/sh\n", 0o755)
    write(tree / "srv/stack/lib/python3.11/os.py", b"")
    write(tree / "DEBIAN/control", b"Package: nest-old\nVersion: 1.0\nArchitecture: all\n"
                                   b"Maintainer: t <t@example.org>\nDescription: old purge snippet\n")
    write(tree / "DEBIAN/postrm", OLD_POSTRM.encode(), 0o755)
    deb = tmp_path / "nest-old.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(deb)], check=True, capture_output=True)
    result = subprocess.run([PYRPATH, "audit", "--json", str(deb)], capture_output=True, text=True)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and [(f["kind"], f["path"]) for f in report["findings"]] == [
        ("maintscript", "/srv/stack"), ("sbom", "/usr/share/doc/<package>/sbom.cdx.json")], report  # nor an SBOM
    assert "without asking dpkg (dpkg-query -S)" in report["findings"][0]["detail"]
    human = subprocess.run([PYRPATH, "audit", str(deb)], capture_output=True, text=True).stdout
    assert "maintscript (1): a maintainer script would remove a directory the package does not own alone" in human

"""Runtime packages: the Runtime field, runtime:<name> sources, the installed-runtime checks, pyrpath runtime init."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile

import pytest
from debian import deb822

from dh_pyrpath.config import load_config, runtime_origin
from dh_pyrpath.contract.control import read_control
from dh_pyrpath.cpython import apt, runtime
from dh_pyrpath.cpython.cache.manifest import write_manifest
from dh_pyrpath.cpython.compiledeps import COMPILE_DEPENDS, METAPACKAGE, compile_needs
from dh_pyrpath.cpython.relocate import BUILD_PREFIX
from dh_pyrpath.dpkg import builtusing
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.runtime import init as runtime_init
from dh_pyrpath.runtime import package as runtime_package
from dh_pyrpath.runtime.package import override_lines, tree_digest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERSION = "3.11.2-6+deb12u8"


def config(source_tree, text: str):
    source_tree("debian/svc-arch.pyrpath", text)
    return load_config("svc-arch", read_control())


# --- the configuration fields ---------------------------------------------------------------------------------

def test_runtime_field_makes_a_runtime_package_that_builds_its_own_tree(source_tree):
    source_tree("requirements.txt", "idna==3.10\n")
    found = config(source_tree, f"Runtime: debian:python3.11 (= {VERSION})\nOptimize: pgo+lto\n")
    assert found.runtime == f"debian:python3.11 (= {VERSION})" and runtime_origin(found.runtime) == ("python3.11", VERSION)
    assert found.python_source == "." and found.requirements == () and not found.install_project
    assert found.optimize == "pgo+lto"


@pytest.mark.parametrize("text, message", [
    ("Runtime: yes\n", "Runtime: 'yes' is not of the form debian:python3.X (= VERSION)"),
    (f"Runtime: debian:python3.11 (= {VERSION})\nPython-Source: debian:python3.11\n",
     "Python-Source: a runtime package (Runtime: set) builds the CPython source tree it is in"),
    (f"Runtime: debian:python3.11 (= {VERSION})\nPrefix: /opt/x\n", "Prefix: a runtime package"),
    ("Python-Source: runtime:\n", "Python-Source: 'runtime:' does not name a runtime package"),
    ("Python-Source: runtime:Bad_Name\n", "write runtime:<package>"),
])
def test_bad_runtime_fields_name_the_file_and_field(source_tree, text, message):
    with pytest.raises(PyrpathError) as error:
        config(source_tree, text)
    assert str(error.value).startswith("debian/svc-arch.pyrpath: ") and message in str(error.value), error.value


@pytest.mark.parametrize("patchlevel, message", [
    ("", "has no Include/patchlevel.h"),
    ('#define PY_VERSION "3.5.10"\n', "3.5"),
])
def test_runtime_build_of_a_tree_that_is_no_supported_cpython_names_the_file(source_tree, patchlevel, message):
    source_tree("configure", "#!/bin/sh\n")
    source_tree("Include/patchlevel.h", patchlevel)
    found = config(source_tree, f"Runtime: debian:python3.11 (= {VERSION})\n")
    with pytest.raises(PyrpathError) as error:
        runtime_package.build(None, found, "build.log")
    assert str(error.value).startswith("debian/svc-arch.pyrpath: Python-Source: ") and message in str(error.value), \
        error.value


def test_runtime_source_is_accepted(source_tree):
    assert config(source_tree, "Python-Source: runtime:pyrpath-cpython3.11\n").python_source == \
        "runtime:pyrpath-cpython3.11"
    assert runtime.parse_runtime("runtime:pyrpath-cpython3.11") == "pyrpath-cpython3.11"
    assert runtime.parse_runtime("debian:python3.11") is None


# --- what compiling needs ---------------------------------------------------------------------------------------

def test_dh_pyrpath_compile_depends_on_what_the_compile_check_asks_for():
    with open(os.path.join(ROOT, "debian", "control"), encoding="utf-8") as fd:
        stanzas = {p.get("Package"): p for p in deb822.Deb822.iter_paragraphs(fd)}
    def names(field: str) -> set[str]:
        return {d.split()[0] for d in field.replace("\n", " ").split(",") if d.strip() and not d.strip().startswith("$")}
    assert names(stanzas[METAPACKAGE]["Depends"]) == set(COMPILE_DEPENDS) | {"dh-pyrpath"}
    assert not names(stanzas["dh-pyrpath"]["Depends"]) & set(COMPILE_DEPENDS)  # a runtime build needs none
    assert METAPACKAGE in stanzas["dh-pyrpath"]["Recommends"]


def test_compile_error_names_what_to_add():
    assert compile_needs([]) is None
    message = compile_needs(["build-essential", "libssl-dev"])
    assert "needs build-essential, libssl-dev, not installed; add dh-pyrpath-compile to Build-Depends" in message
    assert "Python-Source: runtime:" in message


# --- an installed runtime ----------------------------------------------------------------------------------------

def fake_runtime(tmp_path, name="pyrpath-cpython3.11") -> str:
    """/usr/lib/pyrpath/<name>/ as a runtime package installs it, under tmp_path."""
    directory = tmp_path / name
    lib = directory / "tree" / BUILD_PREFIX.lstrip("/") / "lib" / "python3.11"
    lib.mkdir(parents=True)
    (lib / "os.py").write_text("# os\n")
    (directory / "tree" / BUILD_PREFIX.lstrip("/") / "bin").mkdir()
    os.symlink("python3.11", directory / "tree" / BUILD_PREFIX.lstrip("/") / "bin" / "python3")
    write_manifest(str(directory / "tree"), str(directory / "manifest.json"))
    (directory / "entry.json").write_text(json.dumps({
        "prefix": BUILD_PREFIX, "version": "3.11.2", "source_sha256": "f" * 64,
        "runtime": {"name": name, "origin": "debian:python3.11", "debian_source_version": VERSION,
                    "optimize": "pgo+lto", "configure_args": [f"--prefix={BUILD_PREFIX}"]}}))
    return str(tmp_path)


def installed(monkeypatch, status="installed", arch="amd64"):
    monkeypatch.setattr(runtime, "query_package", lambda name: {
        "status": status, "architecture": arch, "source": name, "source_version": "3.11.2-1"})


def test_installed_runtime_is_found_and_verified(tmp_path, monkeypatch):
    root = fake_runtime(tmp_path)
    installed(monkeypatch)
    found = runtime.find_runtime("pyrpath-cpython3.11", "debian/svc.pyrpath: Python-Source", "amd64", root)
    assert found.version == "3.11.2" and found.static_built_using == "pyrpath-cpython3.11 (= 3.11.2-1)"
    assert found.tree == os.path.join(root, "pyrpath-cpython3.11", "tree")
    runtime.verify(found)


def test_runtime_not_installed_names_the_build_depends_to_add(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "query_package", lambda name: None)
    with pytest.raises(PyrpathError) as error:
        runtime.find_runtime("pyrpath-cpython3.11", "debian/svc.pyrpath: Python-Source", "amd64", str(tmp_path))
    assert str(error.value).startswith("debian/svc.pyrpath: Python-Source: runtime:pyrpath-cpython3.11 is not "
                                       "installed; add pyrpath-cpython3.11 to Build-Depends")
    installed(monkeypatch, status="config-files")
    with pytest.raises(PyrpathError, match="is not installed"):
        runtime.find_runtime("pyrpath-cpython3.11", "x", "amd64", str(tmp_path))


def test_runtime_of_another_architecture_is_refused(tmp_path, monkeypatch):
    root = fake_runtime(tmp_path)
    installed(monkeypatch, arch="arm64")
    with pytest.raises(PyrpathError) as error:
        runtime.find_runtime("pyrpath-cpython3.11", "debian/svc.pyrpath: Python-Source", "amd64", root)
    assert "is installed for arm64, but this build is for amd64; install pyrpath-cpython3.11:amd64" in str(error.value)


@pytest.mark.parametrize("damage, problem", [
    (lambda lib: (lib / "os.py").write_text("# changed\n"), "os.py changed"),
    (lambda lib: (lib / "os.py").unlink(), "os.py missing"),
    (lambda lib: (lib / "extra.py").write_text(""), "extra.py extra"),
    (lambda lib: (lib / "os.py").chmod(0o600), "os.py changed"),
])
def test_damaged_runtime_tree_is_refused(tmp_path, monkeypatch, damage, problem):
    root = fake_runtime(tmp_path)
    installed(monkeypatch)
    damage(tmp_path / "pyrpath-cpython3.11" / "tree" / BUILD_PREFIX.lstrip("/") / "lib" / "python3.11")
    found = runtime.find_runtime("pyrpath-cpython3.11", "x", "amd64", root)
    with pytest.raises(PyrpathError) as error:
        runtime.verify(found)
    message = str(error.value)
    assert message.startswith(f"{root}/pyrpath-cpython3.11/manifest.json: the installed tree of pyrpath-cpython3.11 "
                              "does not match it (tree/")
    assert problem in message and "apt-get install --reinstall pyrpath-cpython3.11" in message


def test_runtime_without_its_record_is_damaged(tmp_path, monkeypatch):
    root = fake_runtime(tmp_path)
    os.unlink(tmp_path / "pyrpath-cpython3.11" / "entry.json")
    installed(monkeypatch)
    with pytest.raises(PyrpathError, match="entry.json: missing or unreadable.*reinstall it"):
        runtime.find_runtime("pyrpath-cpython3.11", "x", "amd64", root)


def test_query_package_reads_dpkg():
    assert runtime.query_package("no-such-package-pyrpath") is None
    dpkg = runtime.query_package("dpkg")
    assert dpkg and dpkg["status"] == "installed" and dpkg["source"] == "dpkg"


# --- Static-Built-Using --------------------------------------------------------------------------------------------

def test_static_built_using_substvar_is_set_not_appended(source_tree):
    source_tree("debian/svc-arch.substvars", "shlibs:Depends=libc6\npyrpath:Static-Built-Using=old\n")
    builtusing.record("svc-arch", builtusing.relation("python3.11", VERSION))
    assert builtusing.apply("svc-arch") == f"python3.11 (= {VERSION})"
    builtusing.apply("svc-arch")
    with open("debian/svc-arch.substvars", encoding="utf-8") as fd:
        assert fd.read() == f"shlibs:Depends=libc6\npyrpath:Static-Built-Using=python3.11 (= {VERSION})\n"
    builtusing.record("svc-arch", None)
    assert builtusing.apply("svc-arch") == ""


def test_dh_passes_static_built_using_and_keeps_elf_tools_off_the_runtime_tree(source_tree):
    source_tree("debian/changelog", "demo (1.0-1) unstable; urgency=medium\n\n  * Test.\n\n"
                                    " -- Test <test@example.org>  Tue, 24 Nov 2026 07:00:00 +0000\n")
    source_tree("debian/svc-arch.pyrpath", f"Runtime: debian:python3.11 (= {VERSION})\n")
    with open("debian/control", encoding="utf-8") as fd:
        control = fd.read()
    source_tree("debian/control", control.replace(", dh-sequence-pyrpath", ""))
    env = dict(os.environ, PERL5LIB=os.path.join(ROOT, "perl5"),
               PATH=os.path.join(ROOT, "debhelper") + ":" + os.environ["PATH"])
    result = subprocess.run(["dh", "binary-arch", "--no-act", "--with", "pyrpath"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for command in ("dh_strip", "dh_dwz", "dh_fixperms", "dh_strip_nondeterminism"):
        assert "-X/usr/lib/pyrpath/svc-arch/" in lines[command], lines[command]
    # (shown shell-quoted by --no-act)
    assert "--dpkg-gencontrol-params=-DStatic-Built-Using=\\${pyrpath:Static-Built-Using}" in lines["dh_gencontrol"]


def test_runtime_lintian_overrides_have_reasons():
    lines = override_lines("pyrpath-cpython3.11")
    assert len(lines) % 2 == 0
    for reason, override in zip(lines[::2], lines[1::2]):
        assert reason.startswith("# ") and len(reason) > 30
        assert override.startswith("pyrpath-cpython3.11: ") and "[usr/lib/pyrpath/pyrpath-cpython3.11/tree/" in override


def test_tree_digest_leaves_out_debian_and_quilt(tmp_path):
    (tmp_path / "configure").write_text("#!/bin/sh\n")
    before = tree_digest(str(tmp_path))
    (tmp_path / "debian").mkdir()
    (tmp_path / "debian" / "rules").write_text("x")
    (tmp_path / ".pc").mkdir()
    assert tree_digest(str(tmp_path)) == before
    (tmp_path / "configure").write_text("#!/bin/sh\n# changed\n")
    assert tree_digest(str(tmp_path)) != before


# --- pyrpath runtime init ---------------------------------------------------------------------------------------

def fake_orig(path: str) -> str:
    """A tiny stand-in for python3.11_3.11.2.orig.tar.xz."""
    with tarfile.open(path, "w:xz") as tar:
        for name, text in (("LICENSE", "PSF LICENSE AGREEMENT\n\nText.\n"), ("configure", "#!/bin/sh\n"),
                           ("Include/patchlevel.h", '#define PY_VERSION "3.11.2"\n')):
            data = text.encode()
            info = tarfile.TarInfo(f"Python-3.11.2/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def debian_orig(tmp_path, monkeypatch):
    orig = fake_orig(str(tmp_path / "python3.11_3.11.2.orig.tar.xz"))
    monkeypatch.setattr(apt, "fetch_orig", lambda package, into, log: orig)
    monkeypatch.setattr(apt, "source_version", lambda package, path: VERSION)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return orig


def test_runtime_init_writes_a_source_package(tmp_path, debian_orig, monkeypatch):
    out = tmp_path / "site"
    written = runtime_init.init(runtime_init.Request(str(out), "debian:python3.11",
                                                     maintainer="Site Ops <ops@example.org>",
                                                     distribution="bookworm"), lambda message: None)
    tree = out / "pyrpath-cpython3.11-3.11.2"
    assert written.directory == str(tree) and written.version == "3.11.2-1"
    assert os.path.isfile(out / "pyrpath-cpython3.11_3.11.2.orig.tar.xz") and (tree / "configure").is_file()
    assert (tree / "debian" / "source" / "format").read_text() == "3.0 (quilt)\n"
    assert os.access(tree / "debian" / "rules", os.X_OK) and "\tdh $@\n" in (tree / "debian" / "rules").read_text()
    control = list(deb822.Deb822.iter_paragraphs((tree / "debian" / "control").read_text().splitlines()))
    assert control[0]["Source"] == "pyrpath-cpython3.11" and "dh-pyrpath-compile" in control[0]["Build-Depends"]
    assert control[1]["Package"] == "pyrpath-cpython3.11" and "${shlibs:Depends}" in control[1]["Depends"]
    assert all(len(line) <= 80 for line in (tree / "debian" / "control").read_text().splitlines())
    changelog = subprocess.run(["dpkg-parsechangelog", "-l", str(tree / "debian" / "changelog")], check=True,
                               capture_output=True, text=True).stdout
    assert "Version: 3.11.2-1\n" in changelog and "Distribution: bookworm\n" in changelog
    assert "Maintainer: Site Ops <ops@example.org>" in changelog
    monkeypatch.chdir(tree)
    found = load_config("pyrpath-cpython3.11", read_control())
    assert found.runtime == f"debian:python3.11 (= {VERSION})" and found.optimize == "pgo+lto"
    copyright = (tree / "debian" / "copyright").read_text()
    assert "License: PSF-2.0\n PSF LICENSE AGREEMENT\n .\n Text.\n" in copyright
    result = subprocess.run(["dpkg-source", "-b", tree.name], cwd=out, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.path.isfile(out / "pyrpath-cpython3.11_3.11.2-1.dsc")


@pytest.mark.parametrize("request_args, message", [
    (dict(python="python3.11"), "--python: 'python3.11' is not of the form debian:python3.X"),
    (dict(optimize="fast"), "--optimize: 'fast' is not one of none, lto, pgo, pgo+lto"),
    (dict(name="Pyrpath_CPython"), "--name: 'Pyrpath_CPython' is not a Debian package name"),
    (dict(version="3.11.2"), "--version: 3.11.2 has no Debian revision"),
    (dict(maintainer="ops@example.org"), "--maintainer: 'ops@example.org' is not of the form 'Name <address>'"),
])
def test_runtime_init_errors_name_the_option(tmp_path, debian_orig, request_args, message):
    args = dict(python="debian:python3.11", maintainer="Site Ops <ops@example.org>") | request_args
    with pytest.raises(PyrpathError) as error:
        runtime_init.init(runtime_init.Request(str(tmp_path / "site"), **args), lambda message: None)
    assert str(error.value).startswith(message), error.value


def test_runtime_init_needs_a_maintainer(tmp_path, debian_orig, monkeypatch):
    monkeypatch.delenv("DEBEMAIL", raising=False)
    monkeypatch.delenv("DEBFULLNAME", raising=False)
    with pytest.raises(PyrpathError, match="^--maintainer: not given and DEBFULLNAME/DEBEMAIL are not set"):
        runtime_init.init(runtime_init.Request(str(tmp_path), "debian:python3.11"), lambda message: None)
    monkeypatch.setenv("DEBFULLNAME", "Site Ops")
    monkeypatch.setenv("DEBEMAIL", "ops@example.org")
    assert runtime_init.default_maintainer() == "Site Ops <ops@example.org>"


def test_runtime_init_does_not_overwrite_a_tree(tmp_path, debian_orig):
    request = runtime_init.Request(str(tmp_path / "site"), "debian:python3.11", name="rt-cpython3.11",
                                   version="3.11.2-4", maintainer="Site Ops <ops@example.org>")
    runtime_init.init(request, lambda message: None)
    with pytest.raises(PyrpathError, match="rt-cpython3.11-3.11.2: already exists; remove it, or bump"):
        runtime_init.init(request, lambda message: None)

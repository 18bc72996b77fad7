"""Offline builds: pyrpath vendor, a build with no network, and sbuild in a clean chroot."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from chroot import sbuild, tool_debs
from debs import EXAMPLES, assert_isolated, build_env, dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "hello-service"
PREFIX = "/opt/hello-service"
ORIGS = ("hello-service_1.0.0.orig.tar.xz", "hello-service_1.0.0.orig-cpython.tar.gz",
         "hello-service_1.0.0.orig-wheels.tar.xz")


@dataclass(frozen=True)
class Vendored:
    workdir: str
    tree: str
    output: str


def run_tool(argv: list[str], cwd: str, netns: bool = False) -> subprocess.CompletedProcess:
    env, _ = build_env()
    prefix = ["unshare", "--net"] if netns else []
    return subprocess.run(prefix + argv, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def digests(workdir: str) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of each orig tarball."""
    found = {}
    for name in ORIGS:
        path = os.path.join(workdir, name)
        with open(path, "rb") as fd:
            found[name] = (hashlib.sha256(fd.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


def copy_vendored(vendored: Vendored, into: str) -> str:
    """A copy of the vendored tree and its orig tarballs (tests change their copy)."""
    os.makedirs(into)
    for name in ORIGS:
        shutil.copy(os.path.join(vendored.workdir, name), into)
    tree = os.path.join(into, PKG)
    shutil.copytree(vendored.tree, tree, symlinks=True)
    return tree


@pytest.fixture(scope="module")
def vendored(tmp_path_factory) -> Vendored:
    workdir = str(tmp_path_factory.mktemp("vendor"))
    tree = os.path.join(workdir, PKG)
    shutil.copytree(os.path.join(EXAMPLES, PKG), tree)
    result = run_tool(["pyrpath", "vendor"], tree)
    assert result.returncode == 0, result.stdout + result.stderr
    return Vendored(workdir, tree, result.stdout)


def test_vendor_writes_the_component_tarballs_and_says_what(vendored):
    for name in ORIGS:
        line = next(l for l in vendored.output.splitlines() if l.startswith(f"../{name}"))
        size = os.path.getsize(os.path.join(vendored.workdir, name))
        assert f"{size} bytes" in line and "sha256 " in line and "written" in line, line
    assert os.path.isfile(os.path.join(vendored.tree, "cpython", "configure"))
    wheels = sorted(os.listdir(os.path.join(vendored.tree, "wheels")))
    assert any(w.startswith("MarkupSafe-3.0.2-cp311-cp311-manylinux") for w in wheels), wheels
    assert "simplejson-3.19.3.tar.gz" in wheels  # --no-binary simplejson: its sdist
    assert any(w.startswith("setuptools-") for w in wheels), wheels  # the project's build requirement


def test_vendor_again_changes_nothing(vendored):
    before = digests(vendored.workdir)
    listing = sorted(os.listdir(os.path.join(vendored.tree, "wheels")))
    result = run_tool(["pyrpath", "vendor"], vendored.tree)
    assert result.returncode == 0, result.stderr
    assert digests(vendored.workdir) == before
    assert sorted(os.listdir(os.path.join(vendored.tree, "wheels"))) == listing
    assert "written" not in result.stdout and result.stdout.count("unchanged") == 3, result.stdout


def test_source_package_has_no_patch(vendored, tmp_path):
    tree = copy_vendored(vendored, str(tmp_path / "src"))
    result = subprocess.run(["dpkg-source", "-b", os.path.basename(tree)], cwd=os.path.dirname(tree),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    debian = glob.glob(str(tmp_path / "src" / "*.debian.tar.xz"))[0]
    listing = subprocess.run(["tar", "-tf", debian], check=True, capture_output=True, text=True).stdout
    assert "debian/patches/" not in listing  # cpython/ and wheels/ match their components exactly


def test_build_in_a_network_namespace_uses_only_the_vendored_files(vendored, tmp_path):
    tree = copy_vendored(vendored, str(tmp_path / "offline"))
    interfaces = run_tool(["cat", "/proc/net/dev"], tree, netns=True).stdout
    assert [l.split(":")[0].strip() for l in interfaces.splitlines()[2:]] == ["lo"]
    result = run_tool(["dpkg-buildpackage", "-b", "-us", "-uc", *build_env()[1]], tree, netns=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "using cpython/ (vendored debian:python3.11)" in result.stdout
    assert "from wheelhouse wheels" in result.stdout
    pip_log = open(os.path.join(tree, "debian/.debhelper/pyrpath", PKG, "pip.log")).read()
    assert "--no-index" in pip_log


def without_rules_requires_root(tree: str) -> None:
    """Drop Rules-Requires-Root: no, as most existing packaging repos lack it: binary then runs under fakeroot."""
    control = os.path.join(tree, "debian", "control")
    with open(control) as fd:
        text = fd.read()
    assert "Rules-Requires-Root: no\n" in text
    with open(control, "w") as fd:
        fd.write(text.replace("Rules-Requires-Root: no\n", ""))


def test_sbuild_offline_in_a_clean_chroot_gives_an_isolated_service(vendored, tmp_path):
    """sbuild as its users run it: build as the sbuild user, binary under fakeroot (no Rules-Requires-Root)."""
    tree = copy_vendored(vendored, str(tmp_path / "sbuild"))
    without_rules_requires_root(tree)
    source = subprocess.run(["dpkg-source", "-b", PKG], cwd=os.path.dirname(tree), capture_output=True, text=True)
    assert source.returncode == 0, source.stderr
    out = tmp_path / "out"
    out.mkdir()
    result = sbuild(str(tmp_path / "sbuild" / "hello-service_1.0.0-1.dsc"), str(out), tool_debs())
    logs = glob.glob(str(out / "*.build"))
    log = open(logs[0], errors="replace").read() if logs else result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "using cpython/ (vendored debian:python3.11)" in log
    binary = log.index("fakeroot debian/rules binary")  # the build target compiled, binary did not
    assert log.index("dh_pyrpath_buildpython: built CPython") < binary < log.index("   dh_pyrpath_install")
    deb = glob.glob(str(out / "hello-service_1.0.0-1_*.deb"))[0]
    dpkg_install(deb)
    try:
        report = assert_isolated(f"{PREFIX}/bin/python3.11", PREFIX, "3.11", "markupsafe._speedups", "hello_service")
        assert report["files"]["markupsafe._speedups"].startswith(f"{PREFIX}/lib/python3.11/site-packages/")
        port = free_port()
        with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
            info = json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))
            assert info["prefix"] == PREFIX and info["modules_outside_prefix"] == []
    finally:
        dpkg_purge(PKG)
    assert not os.path.exists(PREFIX)


def staged_copy(vendored: Vendored, into: str) -> str:
    """A vendored tree copy with CPython staged (from the cache), ready for dh_pyrpath_pipinstall."""
    tree = copy_vendored(vendored, into)
    # As in the dh sequence, whose config.guess/config.sub update is part of the cached build's key.
    subprocess.run(["dh_update_autotools_config"], cwd=tree, check=True)
    result = run_tool(["dh_pyrpath_buildpython", f"-p{PKG}"], tree, netns=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return tree


def one_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 255, result.stdout + result.stderr
    errors = [l for l in result.stderr.splitlines() if "error:" in l]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def nothing_installed(tree: str) -> None:
    site = os.path.join(tree, "debian/.debhelper/pyrpath", PKG, "stage", PREFIX.lstrip("/"),
                        "lib/python3.11/site-packages")
    assert not [n for n in os.listdir(site) if n.lower().startswith(("markupsafe", "simplejson", "idna"))]


def test_tampered_wheel_under_hash_checking_fails_naming_the_file(vendored, tmp_path):
    tree = staged_copy(vendored, str(tmp_path / "tampered"))
    wheels = os.path.join(tree, "wheels")
    pins = {"markupsafe": "MarkupSafe==3.0.2", "simplejson": "simplejson==3.19.3", "idna": "idna==3.10"}
    lines = []
    for prefix, pin in pins.items():
        wheel = next(w for w in sorted(os.listdir(wheels)) if w.lower().startswith(prefix + "-"))
        with open(os.path.join(wheels, wheel), "rb") as fd:
            lines.append(f"{pin} --hash=sha256:{hashlib.sha256(fd.read()).hexdigest()}\n")
    with open(os.path.join(tree, "debian", f"{PKG}.requirements.txt"), "w") as fd:
        fd.writelines(lines)
    idna = next(w for w in os.listdir(wheels) if w.startswith("idna-"))
    with open(os.path.join(wheels, idna), "ab") as fd:
        fd.write(b"\0")  # one byte appended: still a valid zip, another sha256
    line = one_error(run_tool(["dh_pyrpath_pipinstall", f"-p{PKG}"], tree, netns=True))
    assert f"dh_pyrpath_pipinstall: error: wheels/{idna}: has sha256" in line, line
    assert "not the --hash of idna==3.10 at debian/hello-service.requirements.txt:3" in line, line
    nothing_installed(tree)


def test_missing_wheel_for_a_pin_fails_clearly(vendored, tmp_path):
    tree = staged_copy(vendored, str(tmp_path / "missing"))
    for wheel in glob.glob(os.path.join(tree, "wheels", "simplejson-*")):
        os.unlink(wheel)
    line = one_error(run_tool(["dh_pyrpath_pipinstall", f"-p{PKG}"], tree, netns=True))
    assert "wheels/ holds no distribution of simplejson==3.19.3" in line and "run pyrpath vendor again" in line, line
    nothing_installed(tree)

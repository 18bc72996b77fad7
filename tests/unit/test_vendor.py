"""pyrpath vendor's logic: component tarballs, target tags, build requirements, and its errors."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import zipfile

import pytest

from dh_pyrpath.deps.requirements import validate_requirement_files
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.vendor.components import deterministic_tarball, publish, read_source_version, unpack_component
from dh_pyrpath.vendor.wheelhouse import Target, build_requires, check_complete, sdist_pyproject

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHANGELOG = """\
demo (2.1-3) unstable; urgency=medium

  * Test.

 -- Test <test@example.org>  Tue, 24 Nov 2026 07:00:00 +0000
"""


def quilt_tree(write, version="2.1-3", fmt="3.0 (quilt)"):
    write("debian/changelog", CHANGELOG.replace("2.1-3", version))
    write("debian/source/format", fmt + "\n")


def test_source_version_from_the_changelog(source_tree):
    quilt_tree(source_tree)
    version = read_source_version()
    assert (version.source, version.upstream) == ("demo", "2.1")
    assert version.orig("cpython") == os.path.join("..", "demo_2.1.orig-cpython.tar")


@pytest.mark.parametrize("version,fmt,message", [
    ("2.1-3", "3.0 (native)", "debian/source/format: '3.0 (native)' cannot carry component tarballs; write '3.0 (quilt)'"),
    ("2.1", "3.0 (quilt)", "debian/changelog: version 2.1 is native; 3.0 (quilt) needs an upstream version and a revision, e.g. 2.1-1"),
])
def test_source_version_errors(source_tree, version, fmt, message):
    quilt_tree(source_tree, version, fmt)
    with pytest.raises(PyrpathError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_source_version()


def test_deterministic_tarball_ignores_times_owners_and_order(tmp_path):
    for name in ("b.whl", "a.whl"):
        (tmp_path / "w" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "w" / name).write_bytes(name.encode() * 100)
    first = deterministic_tarball(str(tmp_path / "w"), "wheels", 1700000000)
    os.utime(tmp_path / "w" / "a.whl", (1, 1))
    (tmp_path / "w" / "b.whl").chmod(0o600)
    assert deterministic_tarball(str(tmp_path / "w"), "wheels", 1700000000) == first
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:xz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["wheels", "wheels/a.whl", "wheels/b.whl"]
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, 1700000000)}


def test_publish_leaves_an_identical_tarball_alone_and_drops_other_compressions(tmp_path):
    stem = str(tmp_path / "demo_2.1.orig-wheels.tar")
    (tmp_path / "demo_2.1.orig-wheels.tar.gz").write_bytes(b"old")
    path, changed = publish(stem, ".xz", data=b"new")
    assert changed and open(path, "rb").read() == b"new"
    assert not (tmp_path / "demo_2.1.orig-wheels.tar.gz").exists()
    mtime = os.stat(path).st_mtime_ns
    assert publish(stem, ".xz", data=b"new") == (path, False)
    assert os.stat(path).st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == ["demo_2.1.orig-wheels.tar.xz"]  # no temporary file left


def test_unpack_component_strips_the_top_directory(tmp_path):
    (tmp_path / "src" / "Python-3.11.2").mkdir(parents=True)
    (tmp_path / "src" / "Python-3.11.2" / "configure").write_text("#!/bin/sh\n")
    subprocess.run(["tar", "-czf", str(tmp_path / "c.tar.gz"), "-C", str(tmp_path / "src"), "Python-3.11.2"], check=True)
    (tmp_path / "cpython").mkdir()
    (tmp_path / "cpython" / "stale").write_text("x")
    unpack_component(str(tmp_path / "c.tar.gz"), str(tmp_path / "cpython"))
    assert sorted(os.listdir(tmp_path / "cpython")) == ["configure"]
    assert sorted(os.listdir(tmp_path)) == ["c.tar.gz", "cpython", "src"]


def test_target_tags_follow_the_target_not_the_host():
    target = Target((3, 13, 1), "x86_64", (2, 36))
    options = target.pip_options()
    assert options[:4] == ["--python-version", "3.13", "--implementation", "cp"]
    assert "cp313" in options and "abi3" in options
    platforms = target.platforms()
    assert platforms[0] == "manylinux_2_36_x86_64" and "manylinux_2_17_x86_64" in platforms
    assert "manylinux2014_x86_64" in platforms and "manylinux1_x86_64" in platforms
    assert "manylinux_2_37_x86_64" not in platforms
    env = target.marker_environment()
    assert env["python_version"] == "3.13" and env["platform_machine"] == "x86_64"


def test_build_requires():
    assert build_requires(None) == ["setuptools>=40.8.0", "wheel"]
    assert build_requires(b'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n') == ["hatchling"]
    assert build_requires(b'[build-system]\nrequires = ["setuptools>=61"]\n') == ["setuptools>=61", "wheel"]


def test_sdist_pyproject(tmp_path):
    data = b'[build-system]\nrequires = ["flit_core"]\n'
    with tarfile.open(tmp_path / "x-1.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("x-1.0/pyproject.toml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert sdist_pyproject(str(tmp_path / "x-1.0.tar.gz")) == data


def make_wheel(directory, name, version, requires=()):
    path = os.path.join(directory, f"{name}-{version}-py3-none-any.whl")
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{name}-{version}.dist-info/METADATA", meta)
    return path


def test_check_complete_names_unpinned_dependencies(tmp_path):
    make_wheel(str(tmp_path), "flask", "3.0.0", ["werkzeug>=3", "click", 'importlib-metadata; python_version < "3.10"'])
    make_wheel(str(tmp_path), "click", "8.1.7")
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("flask==3.0.0\nclick==8.1.7\n")
    pins = validate_requirement_files((str(reqs),))
    target = Target((3, 11, 2), "x86_64", (2, 36))
    with pytest.raises(PyrpathError, match=r"does not pin werkzeug \(needed by flask\); pin every dependency"):
        check_complete(pins, (str(reqs),), target, str(tmp_path))
    reqs.write_text("flask==3.0.0\nclick==8.1.7\nwerkzeug==3.0.1\n")
    check_complete(validate_requirement_files((str(reqs),)), (str(reqs),), target, str(tmp_path))


def run_vendor(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_BUILD"))}
    env["DH_PYRPATH_CACHE"] = os.path.abspath("cache")
    return subprocess.run([os.path.join(ROOT, "debhelper", "pyrpath"), "vendor", *args],
                          capture_output=True, text=True, env=env)


@pytest.mark.parametrize("files,fragment", [
    ({}, "pyrpath vendor: error: debian/source/format: '1.0' cannot carry component tarballs"),
    ({"debian/source/format": "3.0 (quilt)\n"}, "debian/control: no package has a debian/<package>.pyrpath file"),
    ({"debian/source/format": "3.0 (quilt)\n", "debian/svc-arch.pyrpath": "Python-Source: debian:python3.11\n",
      "debian/svc-noprof.pyrpath": "Python-Source: debian:python3.13\n"},
     "packages name different Python-Source (svc-arch: debian:python3.11, svc-noprof: debian:python3.13)"),
    ({"debian/source/format": "3.0 (quilt)\n", "debian/svc-arch.pyrpath": "Python-Source: debian:python3.15\n"},
     "Python-Source: CPython 3.15 is not supported; use a version from 3.9 to 3.14"),
])
def test_vendor_errors(source_tree, files, fragment):
    source_tree("debian/changelog", CHANGELOG)
    for name, text in files.items():
        source_tree(name, text)
    result = run_vendor()
    assert result.returncode == 255, result
    errors = [l for l in result.stderr.splitlines() if "error:" in l]
    assert len(errors) == 1 and fragment in errors[0], result.stderr
    assert not os.path.exists("../demo_2.1.orig.tar.xz") and not os.path.exists("wheels")


def test_vendor_help():
    result = subprocess.run([os.path.join(ROOT, "debhelper", "pyrpath"), "vendor", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "orig-cpython" in result.stdout


def test_private_apt_directories_are_absolute(tmp_path, monkeypatch):
    """Without a cache the download directory is relative to the source tree; apt must get it absolute."""
    from dh_pyrpath.cpython import apt as aptsource
    seen = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(aptsource, "system_debian_mirrors", lambda: [("http://deb.debian.org/debian", aptsource.KEYRING)])
    monkeypatch.setattr(aptsource, "_apt", lambda argv, log, what, cwd=None: seen.append(argv))
    with pytest.raises(PyrpathError, match="apt downloaded no .orig.tar"):
        aptsource.fetch_orig("python3.11", "debian/.debhelper/pyrpath/svc/downloads/debian", "log")
    options = [word for argv in seen for word in argv if word.startswith("Dir::")]
    assert options and all(word.split("=", 1)[1].startswith(("/",)) for word in options), options

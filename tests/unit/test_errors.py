"""Bad input through the real executables: one error line, exit 255, nothing left behind."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BIN = os.path.join(ROOT, "debhelper")


def fake_cpython_tarball(path, version="3.11.2", truncate=False):
    """A tarball shaped like CPython's (configure + patchlevel.h), nothing to compile."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("Python-x/configure", "#!/bin/sh\nexit 1\n"),
                           ("Python-x/Include/patchlevel.h", f'#define PY_VERSION "{version}"\n'),
                           ("Python-x/README", "x" * 200000)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith("configure") else 0o644
            tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    with open(path, "wb") as fd:
        fd.write(data[: len(data) // 2] if truncate else data)
    return path


def run(command, *args, env=None):
    full_env = dict(os.environ, DH_PYRPATH_CACHE=os.path.abspath("cache"), **(env or {}))
    for var in ("DH_INTERNAL_OPTIONS", "DH_OPTIONS", "DEB_BUILD_OPTIONS"):
        full_env.pop(var, None)
    return subprocess.run([os.path.join(BIN, command), *args], capture_output=True, text=True, env=full_env)


def assert_one_error(result, *fragments):
    assert result.returncode == 255, result
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def nothing_left(package="svc-arch"):
    assert not os.path.exists(f"debian/{package}/opt"), "package tree was written"
    assert not os.path.exists(f"debian/.debhelper/pyrpath/{package}/stage/opt"), "a tree was staged"
    entries = os.path.join("cache", "python")
    assert not os.path.isdir(entries) or os.listdir(entries) == [], "cache holds an entry"


@pytest.mark.parametrize("pyrpath,fragments", [
    ("Frob: 1\n", ["debian/svc-arch.pyrpath:1: unknown field 'Frob'"]),
    ("Python-Source: missing.tar.gz\n", ["Python-Source: missing.tar.gz does not exist"]),
    ("Python-Source: debian:perl\n", ["Python-Source: 'debian:perl' is not of the form debian:python3.X"]),
    ("Python-Source: debian:python3.8\n", ["CPython 3.8 is not supported"]),
    ("Prefix: relative\n", ["Prefix: 'relative' is not absolute"]),
    ("", ["Python-Source: not set and there is no cpython/ directory"]),
])
def test_config_errors(source_tree, pyrpath, fragments):
    source_tree("debian/svc-arch.pyrpath", pyrpath)
    assert_one_error(run("dh_pyrpath_buildpython", "-psvc-arch"), "dh_pyrpath_buildpython: error:", *fragments)
    nothing_left()


def test_checksum_mismatch(source_tree):
    fake_cpython_tarball("cpython.tar.gz")
    source_tree("debian/svc-arch.pyrpath", "Python-Source: cpython.tar.gz\nPython-Source-Sha256: " + "0" * 64 + "\n")
    assert_one_error(run("dh_pyrpath_buildpython", "-psvc-arch"), "Python-Source-Sha256: cpython.tar.gz has sha256")
    nothing_left()


def test_truncated_tarball(source_tree):
    fake_cpython_tarball("cpython.tar.gz", truncate=True)
    source_tree("debian/svc-arch.pyrpath", "Python-Source: cpython.tar.gz\n")
    assert_one_error(run("dh_pyrpath_buildpython", "-psvc-arch"), "cannot read the tarball")
    nothing_left()


def test_unsupported_version_in_tarball(source_tree):
    fake_cpython_tarball("cpython.tar.gz", version="3.8.18")
    source_tree("debian/svc-arch.pyrpath", "Python-Source: cpython.tar.gz\n")
    assert_one_error(run("dh_pyrpath_buildpython", "-psvc-arch"), "CPython 3.8 is not supported; use a version from 3.9 to 3.14")
    nothing_left()


def test_configure_failure_names_the_log_and_leaves_no_entry(source_tree):
    fake_cpython_tarball("cpython.tar.gz")
    source_tree("debian/svc-arch.pyrpath", "Python-Source: cpython.tar.gz\n")
    line = assert_one_error(run("dh_pyrpath_buildpython", "-psvc-arch"), "CPython configure failed",
                            "debian/.debhelper/pyrpath/svc-arch/cpython-build.log")
    assert os.path.isfile(line.rsplit(" ", 1)[-1])
    nothing_left()
    assert os.listdir(os.path.join("cache", "python")) == []  # the temporary build dir is gone too


def test_malformed_requirement_before_pip(source_tree):
    source_tree("debian/svc-arch.pyrpath", "")
    source_tree("debian/svc-arch.requirements.txt", "idna==3.7\nsix=1.16\n")
    assert_one_error(run("dh_pyrpath_pipinstall", "-psvc-arch"),
                     "debian/svc-arch.requirements.txt:2: malformed requirement 'six=1.16'")


def test_pipinstall_before_buildpython(source_tree):
    source_tree("debian/svc-arch.pyrpath", "")
    source_tree("debian/svc-arch.requirements.txt", "idna==3.7\n")
    assert_one_error(run("dh_pyrpath_pipinstall", "-psvc-arch"), "run dh_pyrpath_buildpython before dh_pyrpath_pipinstall")


def test_unknown_package_and_option(source_tree):
    assert_one_error(run("dh_pyrpath_install", "-pnope"), "-p nope: no such package")
    assert_one_error(run("dh_pyrpath_install", "--frob"), "unrecognized arguments: --frob")


def test_no_act_changes_nothing(source_tree, tmp_path):
    source_tree("debian/svc-arch.pyrpath", "Python-Source: debian:python3.11\n")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for command in ("dh_pyrpath_buildpython", "dh_pyrpath_pipinstall", "dh_pyrpath_install"):
        result = run(command, "--no-act")
        assert result.returncode == 0, result.stderr
        assert "would" in result.stdout
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_packages_without_config_are_left_alone(source_tree):
    result = run("dh_pyrpath_buildpython")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def test_help_mentions_fields(source_tree):
    result = run("dh_pyrpath_install", "--help")
    assert result.returncode == 0 and "--python-source=VALUE" in result.stdout and "dh_pyrpath_install(1)" in result.stdout

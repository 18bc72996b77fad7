"""What a Debian maintainer, the reproducible-builds and piuparts teams check on a dh-pyrpath package."""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from chroot import tool_deb
from dh_pyrpath.dpkg.prebuilt_binaries import prebuilt_elf_files
from debs import EXAMPLES, build_env, build_example, dpkg, dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "hello-service"
PREFIX = "/opt/hello-service"


def lintian(deb: str) -> subprocess.CompletedProcess:
    return subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True, text=True)


def test_example_is_lintian_clean(hello_build):
    result = lintian(hello_build.debs[PKG])
    assert result.returncode == 0 and not re.search(r"^[EW]: ", result.stdout, re.M), result.stdout + result.stderr


def test_own_package_is_lintian_clean():
    result = lintian(tool_deb())
    assert result.returncode == 0 and not re.search(r"^[EW]: ", result.stdout, re.M), result.stdout + result.stderr


def test_maintainer_overrides_are_merged_with_ours(hello_build, tmp_path):
    subprocess.run(["dpkg-deb", "-x", hello_build.debs[PKG], str(tmp_path)], check=True)
    overrides = (tmp_path / "usr/share/lintian/overrides" / PKG).read_text()
    assert "hello-service: initial-upload-closes-no-bugs" in overrides  # the example's own
    assert "hello-service: dir-or-file-in-opt" in overrides  # dh-pyrpath's
    tags = [l for l in overrides.splitlines() if l.startswith(f"{PKG}: ")]
    for number, line in enumerate(overrides.splitlines()):
        if line.startswith(f"{PKG}: "):
            assert overrides.splitlines()[number - 1].startswith("# "), f"override without a reason: {line}"
    assert len(tags) == len(set(tags))


def elf_files(root: str) -> list[str]:
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and os.path.isfile(path):
                with open(path, "rb") as fd:
                    if fd.read(4) == b"\x7fELF":
                        found.append(path)
    return sorted(found)


# hardening-check verdicts that mean "nothing to check here", not "unprotected".
NOT_APPLICABLE = ("no, regular shared library (ignored)",  # PIE: only for executables
                  "no, not found!",  # stack protector: no function with a buffer to protect
                  "unknown, no protectable libc functions used")


def hardening_failures(path: str) -> list[str]:
    out = subprocess.run(["hardening-check", "--nocfprotection", "--nostackclash", path],
                         capture_output=True, text=True).stdout
    failures = []
    for line in out.splitlines()[1:]:
        check, _, verdict = line.strip().partition(": ")
        if not verdict.startswith("yes") and verdict not in NOT_APPLICABLE:
            failures.append(f"{check}: {verdict}")
    return failures


def test_every_elf_file_is_hardened(hello_build, tmp_path):
    """The interpreter, libpython, stdlib and sdist-built extensions; prebuilt wheels are their makers'."""
    subprocess.run(["dpkg-deb", "-x", hello_build.debs[PKG], str(tmp_path)], check=True)
    site = str(tmp_path / PREFIX.lstrip("/") / "lib/python3.11/site-packages")
    prebuilt = set(prebuilt_elf_files(site))
    assert any("/markupsafe/" in f for f in prebuilt)  # MarkupSafe's manylinux wheel
    files = [f for f in elf_files(str(tmp_path)) if f not in prebuilt]
    sdist_built = [f for f in files if "/site-packages/simplejson/" in f]
    assert sdist_built, "the example compiles simplejson from its sdist"
    assert any("/lib-dynload/" in f for f in files) and any(f.endswith("libpython3.11.so.1.0") for f in files)
    sysconfig = glob.glob(str(tmp_path / PREFIX.lstrip("/") / "lib/python3.11/_sysconfigdata_*.py"))[0]
    fortified = "-D_FORTIFY_SOURCE=2" in open(sysconfig).read()
    failures = {}
    for path in files:
        found = hardening_failures(path)
        if fortified and path not in sdist_built:
            # CPython's own objects were all compiled with -D_FORTIFY_SOURCE=2 (its CFLAGS_NODIST, above);
            # "only unprotected functions" then means gcc proved every call safe.
            found = [f for f in found if f != "Fortify Source functions: no, only unprotected functions found!"]
        if found:
            failures[os.path.relpath(path, tmp_path)] = found
    assert fortified and failures == {}
    for path in sdist_built:
        out = subprocess.run(["hardening-check", path], capture_output=True, text=True).stdout
        assert "Stack protected: yes" in out and "Read-only relocations: yes" in out, out
        assert "Immediate binding: yes" in out, out


def test_dbgsym_gives_gdb_the_symbols_by_build_id(hello_build):
    dpkg_install(hello_build.debs[PKG], hello_build.debs[f"{PKG}-dbgsym"])
    try:
        for target, function, source in ((f"{PREFIX}/lib/libpython3.11.so.1.0", "PyRun_SimpleStringFlags", "pythonrun.c"),
                                         (f"{PREFIX}/bin/python3.11", "main", "python.c")):
            out = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"info line {function}", target],
                                 capture_output=True, text=True).stdout
            assert "Line " in out and source in out, out
    finally:
        dpkg_purge(f"{PKG}-dbgsym", PKG)


def changelog_entry(version: str) -> str:
    return (f"hello-service ({version}) unstable; urgency=medium\n\n  * Rebuild (lifecycle test).\n\n"
            " -- dh-pyrpath example <dh-pyrpath@example.org>  Wed, 25 Nov 2026 07:00:00 +0000\n\n")


@pytest.fixture(scope="module")
def next_version(tmp_path_factory):
    """The example as version 1.0.0-2, built from a copy."""
    examples = str(tmp_path_factory.mktemp("examples-next"))
    shutil.copytree(os.path.join(EXAMPLES, PKG), os.path.join(examples, PKG))
    changelog = os.path.join(examples, PKG, "debian", "changelog")
    with open(changelog) as fd:
        old = fd.read()
    with open(changelog, "w") as fd:
        fd.write(changelog_entry("1.0.0-2") + old)
    return build_example(PKG, str(tmp_path_factory.mktemp("hello-next")), examples=examples)


def installed_version() -> str:
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", PKG], capture_output=True, text=True).stdout


def answers(port: int, server: subprocess.Popen) -> dict:
    return json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))


# The bytecode of these is compiled by postinst (Bytecode: install, the default): the stdlib, a dependency, the service.
COMPILED = ("lib/python3.11/json/__init__.py", "lib/python3.11/site-packages/simplejson/__init__.py",
            "lib/python3.11/site-packages/hello_service/app.py")


def compiled_bytecode() -> dict[str, int]:
    """{.pyc of COMPILED: st_mtime_ns}, each one valid for its source (so imports use it, not the source)."""
    found = {}
    for source in COMPILED:
        path = f"{PREFIX}/{source}"
        pyc = importlib.util.cache_from_source(path)
        with open(pyc, "rb") as fd:
            header = fd.read(16)
        assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
        flags, mtime, size = struct.unpack("<III", header[4:16])
        stat = os.stat(path)
        assert flags == 0 and (mtime, size) == (int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF), pyc
        found[pyc] = os.stat(pyc).st_mtime_ns
    return found


def bytecode_under_prefix() -> list[str]:
    return sorted(glob.glob(f"{PREFIX}/**/*.pyc", recursive=True) + glob.glob(f"{PREFIX}/**/__pycache__", recursive=True))


def test_deb_ships_no_bytecode(hello_build):
    listing = subprocess.run(["dpkg-deb", "-c", hello_build.debs[PKG]], check=True, capture_output=True, text=True).stdout
    assert ".pyc" not in listing and "__pycache__" not in listing


def test_install_upgrade_downgrade_remove_purge(hello_build, next_version, tmp_path):
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", next_version.debs[PKG], str(control)], check=True)
    postinst = (control / "postinst").read_text()
    assert "deb-systemd-invoke" in postinst and "hello-service.service" in postinst  # restarted after upgrade
    prerm = (control / "prerm").read_text() if (control / "prerm").exists() else ""
    for block in re.findall(r"^if (.*?)^fi", prerm, re.M | re.S):
        if "deb-systemd-invoke stop" in block:
            assert '"$1" = remove' in block.splitlines()[0], block  # stopped on removal only, not before an upgrade

    dpkg_install(hello_build.debs[PKG])
    try:
        first = compiled_bytecode()  # postinst compiled them
        port = free_port()
        with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
            assert answers(port, server)["prefix"] == PREFIX
            assert compiled_bytecode() == first  # the service imported them as they were: nothing recompiled
            dpkg_install(next_version.debs[PKG])  # upgrade under the running service
            assert installed_version() == "1.0.0-2"
            assert answers(port, server)["modules_outside_prefix"] == []  # the old process still serves
        upgraded = compiled_bytecode()
        assert all(upgraded[pyc] != first[pyc] for pyc in first)  # prerm removed them, postinst compiled again
        port = free_port()
        with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
            restarted = answers(port, server)  # the new version's interpreter, from the prefix
            assert restarted["executable"] == f"{PREFIX}/bin/python3.11" and restarted["modules_outside_prefix"] == []
        dpkg_install(hello_build.debs[PKG])  # downgrade
        assert installed_version() == "1.0.0-1"
        with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
            assert answers(port, server)["prefix"] == PREFIX
        # What the service writes at run time under its prefix: only purge removes it.
        os.makedirs(f"{PREFIX}/var", exist_ok=True)
        with open(f"{PREFIX}/var/state.json", "w") as fd:
            fd.write("{}")
        result = dpkg("--remove", PKG)  # under the machine-wide dpkg lock, like every dpkg run of the tests
        assert result.returncode == 0, result.stderr
        assert not os.path.lexists("/usr/bin/hello-service") and not os.path.exists(f"{PREFIX}/bin/python3.11")
        assert os.path.exists(f"{PREFIX}/var/state.json")
        assert bytecode_under_prefix() == []  # prerm removed what postinst wrote
    finally:
        dpkg_purge(PKG)
    assert not os.path.exists(PREFIX), sorted(glob.glob(f"{PREFIX}/**", recursive=True))[:20]


def sha256(path: str) -> str:
    with open(path, "rb") as fd:
        return hashlib.sha256(fd.read()).hexdigest()


def test_two_builds_in_different_conditions_give_identical_debs(hello_build, request):
    """Rebuild as nobody, without the CPython cache, elsewhere, later, with another umask, locale and zone."""
    top = tempfile.mkdtemp(prefix="pyrpath-repro-")  # pytest's own tree is closed to other users
    request.addfinalizer(lambda: shutil.rmtree(top, ignore_errors=True))
    workdir = Path(top) / "a-much-longer-and-different" / "build-path"
    workdir.mkdir(parents=True)
    shutil.copytree(os.path.join(EXAMPLES, PKG), workdir / PKG)
    subprocess.run(["chown", "-R", "nobody:nogroup", top], check=True)
    env, extra = build_env()
    env.pop("DH_PYRPATH_CACHE", None)
    env.update(HOME="/nonexistent", LC_ALL="C", LANG="C", LANGUAGE="fr", TZ="Pacific/Auckland", USER="nobody")
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "faketime", "-f", "+500d",
            "sh", "-c", 'umask 002 && exec "$@"', "sh", "dpkg-buildpackage", "-b", "-us", "-uc", *extra]
    log = Path(top) / "build.log"
    with open(log, "wb") as out:
        result = subprocess.run(argv, cwd=workdir / PKG, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    text = log.read_text(errors="replace")
    assert result.returncode == 0, text[-4000:]
    assert "no usable cache directory" in text  # CPython itself was built again, in the tree
    differences = []
    for name in (PKG, f"{PKG}-dbgsym"):
        first = hello_build.debs[name]
        second = glob.glob(str(workdir / f"{name}_*.deb"))[0]
        if sha256(first) != sha256(second):
            diff = ""
            if shutil.which("diffoscope"):
                diff = subprocess.run(["diffoscope", "--text", "-", "--max-report-size", "20000", first, second],
                                      capture_output=True, text=True).stdout[:6000]
            differences.append(f"{name}: {first} != {second}\n{diff}")
    assert differences == [], "\n".join(differences)

"""The build/binary split in every way a source is built, as root and as an ordinary user (fakeroot).

The source: a setup.py-only project, a Makefile that builds the documentation
of an arch:all package beside the service (the maintainer says
`dh $@ --buildsystem=makefile`, which must win over the add-on's own build
system), and no Rules-Requires-Root field (so an ordinary user's binary target
runs under fakeroot).  tests/integration/test_real_projects.py has the
setup.py-only projects built from a plain `dh $@`.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from debs import ROOT, build_env, dpkg_install, dpkg_purge

pytestmark = pytest.mark.slow

SOURCE = os.path.join(ROOT, "tests", "integration", "data", "modes-service")
SERVICE, DOC = "modes-service", "modes-service-doc"
PREFIX = f"/opt/{SERVICE}"
# name -> (shell command run in the source tree, {user: None | wrapper}, packages it must give)
MODES = {
    "dpkg-buildpackage -b": ("dpkg-buildpackage -b -us -uc {d}", {SERVICE, DOC}),
    "dpkg-buildpackage -B": ("dpkg-buildpackage -B -us -uc {d}", {SERVICE}),
    "dpkg-buildpackage -A": ("dpkg-buildpackage -A -us -uc {d}", {DOC}),
    "rules binary after clean, twice": ("debian/rules clean && {root}debian/rules binary && ls ../*.deb && "
                                        "{root}debian/rules binary", {SERVICE, DOC}),
}


@pytest.fixture(scope="module")
def user_cache(tmp_path_factory) -> str:
    """A CPython cache the ordinary user may write: a copy of this run's (the key does not depend on the user)."""
    top = tempfile.mkdtemp(prefix="pyrpath-modes-cache-")  # pytest's own tree is closed to other users
    cache = os.path.join(top, "cache")
    mine = os.environ.get("DH_PYRPATH_CACHE") or os.path.expanduser("~/.cache/dh-pyrpath")
    if os.path.isdir(os.path.join(mine, "python")):
        shutil.copytree(os.path.join(mine, "python"), os.path.join(cache, "python"), symlinks=True,
                        ignore=shutil.ignore_patterns("*.lock", ".build-*"))
    os.makedirs(cache, exist_ok=True)
    subprocess.run(["chown", "-R", "nobody:nogroup", top], check=True)
    yield cache
    shutil.rmtree(top, ignore_errors=True)


def build(mode: str, user: str, cache: str) -> tuple[str, str, set[str]]:
    """Build a fresh copy of the source in mode as user; (log, build directory, packages of the .debs)."""
    command, _ = MODES[mode]
    top = tempfile.mkdtemp(prefix="pyrpath-modes-")
    tree = os.path.join(top, SERVICE)
    shutil.copytree(SOURCE, tree)
    env, extra = build_env()
    argv = ["sh", "-c", command.format(d=" ".join(extra), root="" if user == "root" else "fakeroot ")]
    if user != "root":
        subprocess.run(["chown", "-R", "nobody:nogroup", top], check=True)
        env.update(HOME=top, USER="nobody", DH_PYRPATH_CACHE=cache)
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
    result = subprocess.run(argv, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    assert result.returncode == 0, f"{mode} as {user} failed:\n{result.stdout[-5000:]}"
    debs = {os.path.basename(p).split("_")[0] for p in glob.glob(os.path.join(top, "*.deb"))}
    return result.stdout, top, debs


def contents(deb: str) -> str:
    return subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True, text=True).stdout


# Every mode as the ordinary user (fakeroot, as sbuild builds); as root, -A here and -B in the test that runs
# the service.  Root's -b and `rules binary` are what the other integration tests and make demo do.
CASES = [(mode, "user") for mode in sorted(MODES)] + [("dpkg-buildpackage -A", "root")]


@pytest.mark.parametrize("mode,user", CASES)
def test_every_mode_builds_what_it_should(mode, user, user_cache):
    log, top, debs = build(mode, user, user_cache)
    try:
        assert_mode_built(mode, log, top, debs)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def assert_mode_built(mode: str, log: str, top: str, debs: set[str]) -> None:
    """The packages the mode must give, each complete; the compile and pip in the build target only."""
    wanted = MODES[mode][1] | ({f"{SERVICE}-dbgsym"} if SERVICE in MODES[mode][1] else set())
    assert debs == wanted, debs
    if SERVICE in debs:
        deb = glob.glob(os.path.join(top, f"{SERVICE}_*.deb"))[0]
        listing = contents(deb)
        assert f".{PREFIX}/bin/python3.11" in listing and "./usr/bin/modes-service ->" in listing
        assert ".pyc" not in listing or "__pycache__" in listing
        audit = subprocess.run([os.path.join(ROOT, "debhelper", "pyrpath"), "audit", deb],
                               capture_output=True, text=True)
        assert audit.returncode == 0, audit.stdout + audit.stderr
    if DOC in debs:
        deb = glob.glob(os.path.join(top, f"{DOC}_*.deb"))[0]
        assert f"./usr/share/doc/{SERVICE}/modes.txt" in contents(deb)  # a -doc package's docs: the main one's
    if "dpkg-buildpackage" in mode and SERVICE in debs:
        # compiled and pip-installed in the build target, never in binary (fakeroot for the user)
        binary = log.index("debian/rules binary")
        assert log.index("dh_pyrpath_pipinstall: build and install the project") < binary, log[-3000:]
        assert log.index("dh_pyrpath_buildpython") < binary < log.index("dh_pyrpath_install")
    if mode.startswith("rules binary"):
        assert log.count("dh_pyrpath_install") >= 2  # the second binary placed the stage again


def test_the_service_runs_isolated_from_its_prefix(user_cache):
    log, top, debs = build("dpkg-buildpackage -B", "root", user_cache)
    try:
        assert_mode_built("dpkg-buildpackage -B", log, top, debs)
        dpkg_install(glob.glob(os.path.join(top, f"{SERVICE}_*.deb"))[0])
        out = subprocess.run(["/usr/bin/modes-service"], check=True, capture_output=True, text=True).stdout
        report = json.loads(out)
        assert report["prefix"] == PREFIX
        assert all(p.startswith(PREFIX + "/") for p in report["path"]) and report["path"]
        # real paths: __main__ is the script run through its /usr/bin link
        assert [f for f in report["files"] if not os.path.realpath(f).startswith(PREFIX + "/")] == []
        assert any(f.startswith(f"{PREFIX}/lib/python3.11/site-packages/modes_service/") for f in report["files"])
    finally:
        dpkg_purge(SERVICE)
        shutil.rmtree(top, ignore_errors=True)
    assert not os.path.exists(PREFIX)

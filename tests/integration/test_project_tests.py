"""Test-Command when it fails, and nocheck (the passing run is tabulate's, in test_real_projects).

One real project (tabulate, from its sdist) whose Test-Command fails on
purpose; only the build target runs, with dh and the checkout's add-on.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from debs import build_env
from sdists import PROJECTS, unpack_with_debian

pytestmark = pytest.mark.slow

TABULATE = next(p for p in PROJECTS if p.name == "tabulate")
FAILING = """Python-Source: debian:python3.11
Links: tabulate
Test-Command: python3 -c 'import sys, tabulate; print("deliberate failure from", sys.prefix); sys.exit(3)'
"""


def rules(src: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    base, _ = build_env()
    return subprocess.run(["debian/rules", *args], cwd=src, env={**base, **env}, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def failed_build(tmp_path_factory) -> tuple[str, subprocess.CompletedProcess]:
    src = unpack_with_debian(TABULATE, str(tmp_path_factory.mktemp("failing-tests")))
    with open(os.path.join(src, "debian", f"{TABULATE.package}.pyrpath"), "w", encoding="utf-8") as fd:
        fd.write(FAILING)
    return src, rules(src, "build")


def test_failing_test_command_fails_the_build_with_the_tail_and_the_log(failed_build):
    src, result = failed_build
    log = f"debian/.debhelper/pyrpath/{TABULATE.package}/test.log"
    assert result.returncode != 0
    errors = [l for l in result.stderr.splitlines() if l.startswith("dh_pyrpath_test: error:")]
    assert errors == [f"dh_pyrpath_test: error: debian/{TABULATE.package}.pyrpath: Test-Command: the tests failed "
                      f"(exit status 3); full log: {log}"], result.stderr
    tail = [l for l in result.stderr.splitlines() if l.startswith("  | ")]
    staged_copy = os.path.realpath(os.path.join(src, "debian", ".debhelper", "pyrpath", TABULATE.package, "test"))
    assert tail and tail[-1] == f"  | deliberate failure from {staged_copy}/opt/{TABULATE.package}", result.stderr
    with open(os.path.join(src, log), encoding="utf-8") as fd:
        assert "deliberate failure" in fd.read()


def test_nocheck_skips_the_tests(failed_build):
    src, _ = failed_build
    log = os.path.join(src, "debian", ".debhelper", "pyrpath", TABULATE.package, "test.log")
    os.unlink(log)
    options = rules(src, "build", DEB_BUILD_OPTIONS="nocheck")
    assert options.returncode == 0, options.stdout + options.stderr
    assert not os.path.exists(log)
    # dh_auto_test itself returns early on DEB_BUILD_OPTIONS=nocheck only; the profile reaches dh_pyrpath_test.
    profile = subprocess.run(["dh_auto_test", "--buildsystem=pyrpath"], cwd=src, env={**build_env()[0], "DEB_BUILD_PROFILES": "nocheck"},
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert profile.returncode == 0, profile.stdout + profile.stderr
    assert f"nocheck: not running {TABULATE.package} tests" in profile.stdout
    assert not os.path.exists(log)

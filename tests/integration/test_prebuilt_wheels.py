"""Prebuilt manylinux wheels with bundled libraries survive dh_strip and dh_shlibdeps, with plain `dh $@`."""

from __future__ import annotations

import base64
import csv
import glob
import hashlib
import json
import os
import subprocess

import pytest

from debs import dpkg_install, dpkg_purge

pytestmark = pytest.mark.slow

PKG = "imaging-service"
PREFIX = "/opt/imaging-service"
SITE = f"{PREFIX}/lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def installed(imaging_build):
    dpkg_install(imaging_build.debs[PKG])
    yield imaging_build
    dpkg_purge(PKG)


def recorded_elf_digests(site: str, dist: str) -> dict[str, str]:
    """The shared objects a distribution's RECORD lists, with the sha256 the wheel gave them."""
    record = glob.glob(os.path.join(site, f"{dist}-*.dist-info", "RECORD"))[0]
    digests = {}
    with open(record, newline="") as fd:
        for row in csv.reader(fd):
            if row and ".so" in os.path.basename(row[0]) and row[1].startswith("sha256="):
                digests[row[0]] = row[1][len("sha256="):]
    return digests


def test_rules_is_plain_dh(imaging_build):
    with open(os.path.join(imaging_build.source_dir, "debian", "rules")) as fd:
        assert [l for l in fd.read().splitlines() if l and not l.startswith("#")] == ["%:", "\tdh $@"]


def test_lintian_reports_no_error(imaging_build):
    result = subprocess.run(["lintian", "--fail-on", "error", imaging_build.debs[PKG]], capture_output=True, text=True)
    assert result.returncode == 0 and "\nE: " not in "\n" + result.stdout, result.stdout + result.stderr


def test_bundled_libraries_ship_exactly_as_the_wheels_have_them(imaging_build, tmp_path):
    subprocess.run(["dpkg-deb", "-x", imaging_build.debs[PKG], str(tmp_path)], check=True)
    site = str(tmp_path / SITE.lstrip("/"))
    for dist in ("numpy", "pillow"):
        digests = recorded_elf_digests(site, dist)
        assert any(".libs/" in member for member in digests), f"{dist}'s wheel bundles no library?"
        for member, digest in digests.items():
            with open(os.path.join(site, member), "rb") as fd:
                actual = base64.urlsafe_b64encode(hashlib.sha256(fd.read()).digest()).rstrip(b"=").decode()
            assert actual == digest, f"{member} was rewritten"


def test_depends_come_from_debian_and_never_libpython(imaging_build):
    depends = subprocess.run(["dpkg-deb", "-f", imaging_build.debs[PKG], "Depends"], check=True,
                             capture_output=True, text=True).stdout
    assert "libc6" in depends and "libpython" not in depends
    assert "imaging-service" not in depends  # the bundled libraries resolve to the package itself


def test_dbgsym_still_holds_the_interpreter(imaging_build, tmp_path):
    subprocess.run(["dpkg-deb", "-x", imaging_build.debs[PKG], str(tmp_path / "pkg")], check=True)
    subprocess.run(["dpkg-deb", "-x", imaging_build.debs[f"{PKG}-dbgsym"], str(tmp_path / "dbg")], check=True)
    notes = subprocess.run(["readelf", "-n", str(tmp_path / "pkg" / PREFIX.lstrip("/") / "lib/libpython3.11.so.1.0")],
                           check=True, capture_output=True, text=True).stdout
    build_id = next(l.split()[-1] for l in notes.splitlines() if "Build ID" in l)
    assert (tmp_path / "dbg/usr/lib/debug/.build-id" / build_id[:2] / f"{build_id[2:]}.debug").is_file()


def test_bundled_code_runs_as_an_unprivileged_user(installed):
    out = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                          "/usr/bin/imaging-check"], check=True, capture_output=True, text=True, cwd="/").stdout
    report = json.loads(out)
    assert report["solve"] == [2.0, 3.0]
    assert report["encoded"]["JPEG"] > 0 and report["encoded"]["PNG"] > 0
    assert report["numpy"].startswith(SITE) and report["pillow"].startswith(SITE)
    bundled = [lib for lib in report["libraries"] if ".libs/" in lib]
    assert any("numpy.libs/" in lib for lib in bundled) and any("pillow.libs/" in lib for lib in bundled)
    assert all(lib.startswith(SITE) for lib in bundled)

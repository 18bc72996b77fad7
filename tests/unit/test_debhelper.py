"""The debhelper contract: package selection, DH_* variables, -O, --no-act."""

from __future__ import annotations

import os

import pytest

from dh_pyrpath.contract.invocation import BuildOptions, parse_invocation, record_in_log
from dh_pyrpath.errors import PyrpathError

CMD = "dh_pyrpath_install"


def parse(argv, **env):
    return parse_invocation(CMD, argv, environ={k: v for k, v in env.items()})


def test_default_selects_buildable_packages(source_tree):
    # svc-other is for other architectures; svc-noprof is dropped by no profile (it needs !nocheck: kept)
    assert parse([]).packages == ("svc-arch", "svc-doc", "svc-noprof")


def test_build_profile_excludes_package(source_tree, monkeypatch):
    monkeypatch.setenv("DEB_BUILD_PROFILES", "nocheck")
    assert "svc-noprof" not in parse([]).packages


def test_arch_and_indep(source_tree):
    assert parse(["-a"]).packages == ("svc-arch", "svc-noprof")
    assert parse(["-i"]).packages == ("svc-doc",)
    assert parse(["--arch", "--indep"]).packages == ("svc-arch", "svc-noprof", "svc-doc")


def test_package_and_no_package(source_tree):
    assert parse(["-psvc-arch", "-p", "svc-doc"]).packages == ("svc-arch", "svc-doc")
    assert parse(["-N", "svc-doc"]).packages == ("svc-arch", "svc-noprof")
    assert parse(["-a", "--no-package=svc-noprof"]).packages == ("svc-arch",)


def test_package_for_other_arch_is_silently_skipped(source_tree):
    assert parse(["-p", "svc-other"]).packages == ()


def test_unknown_package_is_an_error(source_tree):
    with pytest.raises(PyrpathError, match="no-such: no such package"):
        parse(["-p", "no-such"])


def test_internal_options_select_arch_only_packages(source_tree):
    # inside override_dh_*-arch, dh passes -a through DH_INTERNAL_OPTIONS
    inv = parse([], DH_INTERNAL_OPTIONS="-a\x1e-O--prefix=/srv/x")
    assert inv.packages == ("svc-arch", "svc-noprof")
    assert inv.overrides == {"Prefix": "/srv/x"}


def test_internal_options_restrict_but_p_still_works(source_tree):
    inv = parse(["-p", "svc-arch"], DH_INTERNAL_OPTIONS="-a")
    assert inv.packages == ("svc-arch",)
    inv = parse(["-p", "svc-doc"], DH_INTERNAL_OPTIONS="-a")
    assert inv.packages == ()


def test_forwarded_option_applied_when_it_parses(source_tree):
    assert parse(["-O--prefix=/srv/app"]).overrides == {"Prefix": "/srv/app"}
    assert parse(["-O-v"]).verbose


def test_forwarded_option_ignored_when_it_does_not_parse(source_tree):
    inv = parse(["-O--buildsystem=pybuild", "-O--parallel", "-O-Sfoo"])
    assert inv.overrides == {} and inv.packages == ("svc-arch", "svc-doc", "svc-noprof")


def test_unknown_option_is_an_error(source_tree):
    with pytest.raises(PyrpathError, match="unrecognized arguments: --bogus"):
        parse(["--bogus"])


def test_dh_options_unknown_warns_and_continues(source_tree, capsys):
    inv = parse([], DH_OPTIONS="--garbage -v")
    assert inv.packages
    assert "ignored unknown options in DH_OPTIONS" in capsys.readouterr().err


def test_dh_options_applies_known(source_tree):
    assert parse([], DH_OPTIONS="-N svc-doc -v").packages == ("svc-arch", "svc-noprof")


def test_verbose_quiet_and_build_options(source_tree):
    assert parse([], DH_VERBOSE="1").verbose
    assert parse([], DH_QUIET="1").quiet
    inv = parse([], DEB_BUILD_OPTIONS="parallel=7 noopt nocheck terse")
    assert inv.build == BuildOptions(parallel=7, noopt=True, nocheck=True, terse=True)
    assert inv.quiet


def test_no_act_and_tmpdir(source_tree):
    inv = parse(["--no-act", "-p", "svc-arch", "-P", "debian/tmp"])
    assert inv.no_act and inv.tmpdir("svc-arch") == "debian/tmp"
    assert parse([]).tmpdir("svc-arch") == os.path.join("debian", "svc-arch")


def test_tmpdir_with_several_packages_is_an_error(source_tree):
    with pytest.raises(PyrpathError, match="names one tree"):
        parse(["-P", "debian/tmp"])


def test_remaining_packages_skips_logged(source_tree):
    source_tree("debian/svc-arch.debhelper.log", f"{CMD}\n")
    assert parse(["--remaining-packages"]).packages == ("svc-doc", "svc-noprof")


def test_log_written_only_inside_override(source_tree):
    inv = parse(["-p", "svc-arch"])
    record_in_log(inv, environ={})
    assert not os.path.exists("debian/svc-arch.debhelper.log")
    record_in_log(inv, environ={"DH_INTERNAL_OVERRIDE": "dh_pyrpath_install"})
    assert open("debian/svc-arch.debhelper.log").read() == f"{CMD}\n"

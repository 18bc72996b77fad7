"""The contract's output half: pkgfile, add_substvar, set_substvar and add_snippet follow Dh_Lib's rules."""

from __future__ import annotations

import os

from dh_pyrpath.contract.control import read_control
from dh_pyrpath.contract.files import add_snippet, add_substvar, pkgfile, set_substvar


def test_pkgfile_prefers_the_package_file_and_falls_back_for_the_main_package_only(source_tree):
    control = read_control()
    assert pkgfile("svc-arch", "pyrpath", control) is None
    source_tree("debian/pyrpath", "Prefix: /opt/x\n")
    assert pkgfile("svc-arch", "pyrpath", control) == "debian/pyrpath"  # svc-arch is the first package
    assert pkgfile("svc-doc", "pyrpath", control) is None
    source_tree("debian/svc-arch.pyrpath", "")
    assert pkgfile("svc-arch", "pyrpath", control) == "debian/svc-arch.pyrpath"


def test_pkgfile_takes_the_host_architecture_variant_first(source_tree):
    control = read_control()
    source_tree("debian/svc-arch.pyrpath", "")
    source_tree("debian/svc-arch.pyrpath.armel", "")
    assert pkgfile("svc-arch", "pyrpath", control) == "debian/svc-arch.pyrpath"  # DEB_HOST_ARCH=amd64
    source_tree("debian/svc-arch.pyrpath.amd64", "")
    assert pkgfile("svc-arch", "pyrpath", control) == "debian/svc-arch.pyrpath.amd64"


def test_substvar_items_are_added_once_sorted_and_the_file_is_replaced(source_tree):
    source_tree("debian/svc.substvars", "misc:Depends=\nshlibs:Depends=libssl3 (>= 3.0.0), libc6 (>= 2.34)\n")
    add_substvar("svc", "shlibs:Depends", "libstdc++6 (>= 4.1.1), libc6 (>= 2.34)")
    add_substvar("svc", "shlibs:Depends", "libstdc++6 (>= 4.1.1)")
    assert open("debian/svc.substvars").read() == (
        "misc:Depends=\nshlibs:Depends=libc6 (>= 2.34), libssl3 (>= 3.0.0), libstdc++6 (>= 4.1.1)\n")
    assert not os.path.exists("debian/svc.substvars.new")
    add_substvar("new", "shlibs:Depends", "libc6")
    assert open("debian/new.substvars").read() == "shlibs:Depends=libc6\n"


def test_substvar_keeps_an_optional_assignment(source_tree):
    source_tree("debian/svc.substvars", "misc:Static-Built-Using?=python3.11 (= 3.11.2-6)\n")
    add_substvar("svc", "misc:Static-Built-Using", "python3.11 (= 3.11.2-6)")
    assert open("debian/svc.substvars").read() == "misc:Static-Built-Using?=python3.11 (= 3.11.2-6)\n"


def test_set_substvar_replaces_the_value_and_keeps_an_empty_one_defined(source_tree):
    source_tree("debian/svc.substvars", "misc:Depends=\npyrpath:Static-Built-Using=python3.11 (= 3.11.2-6)\n")
    set_substvar("svc", "pyrpath:Static-Built-Using", "pyrpath-cpython3.11 (= 3.11.2-1)")
    set_substvar("svc", "pyrpath:Static-Built-Using", "pyrpath-cpython3.11 (= 3.11.2-2)")
    assert open("debian/svc.substvars").read() == (
        "misc:Depends=\npyrpath:Static-Built-Using=pyrpath-cpython3.11 (= 3.11.2-2)\n")
    set_substvar("other", "pyrpath:Static-Built-Using", "")
    assert open("debian/other.substvars").read() == "pyrpath:Static-Built-Using=\n"


def test_prerm_and_postrm_snippets_go_first_postinst_ones_last(source_tree):
    source_tree("debian/svc-arch.prerm.debhelper", "# Automatically added by dh_installsystemd/13\nstop\n"
                                                   "# End automatically added section\n")
    source_tree("debian/svc-arch.postinst.debhelper", "# Automatically added by dh_installsystemd/13\nstart\n"
                                                      "# End automatically added section\n")
    for _ in range(2):  # a second run replaces our block, in the same place
        add_snippet("svc-arch", "prerm", "dh_pyrpath_install", "clean")
        add_snippet("svc-arch", "postinst", "dh_pyrpath_install", "compile")
    prerm = open("debian/svc-arch.prerm.debhelper").read().splitlines()
    postinst = open("debian/svc-arch.postinst.debhelper").read().splitlines()
    assert prerm[1] == "clean" and prerm[-2] == "stop" and prerm.count("clean") == 1
    assert postinst[1] == "start" and postinst[-2] == "compile" and postinst.count("compile") == 1

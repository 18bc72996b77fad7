"""Optimize levels (with DEB_BUILD_OPTIONS) and Slim profiles."""

from __future__ import annotations

import os
import re

import pytest

from dh_pyrpath.config import DEFAULT_SLIM, load_config
from dh_pyrpath.control import read_control
from dh_pyrpath.cpython import BuildRequest, effective_optimize
from dh_pyrpath.debhelper import BuildOptions
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.slim import slim


@pytest.mark.parametrize("wanted,options,level", [
    ("pgo+lto", "", "pgo+lto"),
    ("pgo+lto", "nopgo", "lto"),
    ("pgo+lto", "nolto", "pgo"),
    ("pgo+lto", "nopgo nolto", "none"),
    ("pgo", "noopt", "none"),
    ("none", "", "none"),
])
def test_deb_build_options_lower_the_level(wanted, options, level):
    assert effective_optimize(wanted, BuildOptions.from_env(options)) == level


def test_configure_arguments_follow_the_level():
    def args(level, options=""):
        return BuildRequest("0" * 64, (3, 11, 2), "/opt/x", (), BuildOptions.from_env(options), level).configure_args()
    assert "--enable-optimizations" in args("pgo+lto") and "--with-lto" in args("pgo+lto")
    assert "--enable-optimizations" not in args("lto") and "--with-lto" in args("lto")
    assert "--enable-optimizations" not in args("pgo", "nopgo")
    assert not {"--enable-optimizations", "--with-lto"} & set(args("none"))


def test_fields(source_tree):
    source_tree("debian/svc-arch.pyrpath", "Optimize: PGO+LTO\nSlim: tests static, tkinter idlelib\n")
    config = load_config("svc-arch", read_control())
    assert config.optimize == "pgo+lto" and config.slim == ("tests", "static", "tkinter", "idlelib")
    source_tree("debian/svc-arch.pyrpath", "Slim: none\n")
    assert load_config("svc-arch", read_control()).slim == ()
    source_tree("debian/svc-arch.pyrpath", "Python-Source: debian:python3.11\n")
    assert load_config("svc-arch", read_control()).slim == DEFAULT_SLIM
    assert load_config("svc-arch", read_control(), {"Optimize": "lto"}).optimize == "lto"


@pytest.mark.parametrize("text,message", [
    ("Optimize: fast\n", "Optimize: 'fast' is not one of none, lto, pgo, pgo+lto"),
    ("Slim: docs\n", "Slim: 'docs' is not one of tests, static"),
])
def test_field_errors(source_tree, text, message):
    source_tree("debian/svc-arch.pyrpath", text)
    with pytest.raises(PyrpathError, match=re.escape(message)):
        load_config("svc-arch", read_control())


def make_tree(root):
    files = ["bin/python3.11", "bin/idle3.11", "bin/2to3-3.11", "bin/python3.11-config", "include/python3.11/Python.h",
             "lib/python3.11/os.py", "lib/python3.11/test/test_os.py", "lib/python3.11/idlelib/idle.py",
             "lib/python3.11/tkinter/__init__.py", "lib/python3.11/lib-dynload/_tkinter.cpython-311-x86_64-linux-gnu.so",
             "lib/python3.11/lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so",
             "lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
             "lib/python3.11/ensurepip/__init__.py", "lib/python3.11/lib2to3/main.py",
             "lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile",
             "lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a", "lib/pkgconfig/python3.pc"]
    for rel in files:
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        open(os.path.join(root, rel), "w").close()
    return files


def remaining(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names)


def test_default_slim_drops_tests_and_static_library_only(tmp_path):
    make_tree(str(tmp_path))
    slim(str(tmp_path), "3.11", DEFAULT_SLIM)
    left = remaining(str(tmp_path))
    assert "lib/python3.11/test/test_os.py" not in left and not any("_testcapi" in f for f in left)
    assert "lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a" not in left
    assert "lib/python3.11/tkinter/__init__.py" in left and "include/python3.11/Python.h" in left


def test_every_item(tmp_path):
    make_tree(str(tmp_path))
    slim(str(tmp_path), "3.11", ("tests", "static", "idlelib", "tkinter", "ensurepip", "lib2to3", "headers", "config"))
    assert remaining(str(tmp_path)) == ["bin/python3.11", "lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
                                        "lib/python3.11/os.py"]

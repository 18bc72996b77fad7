"""Optimize levels (with DEB_BUILD_OPTIONS) and Slim profiles."""

from __future__ import annotations

import os
import re

import pytest

from dh_pyrpath.config import DEFAULT_SLIM, load_config
from dh_pyrpath.contract.control import read_control
from dh_pyrpath.contract.invocation import BuildOptions
from dh_pyrpath.cpython.build import BuildRequest, effective_optimize
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.staging import StagedTree
from dh_pyrpath.tree.slim import slim


def tree_at(root) -> StagedTree:
    """A CPython 3.11 tree whose prefix directory is root."""
    root = str(root)
    return StagedTree("svc", os.path.dirname(root), "/" + os.path.basename(root), "3.11.2", ())


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


def test_default_slim_drops_tests_static_library_tkinter_and_idlelib(tmp_path):
    make_tree(str(tmp_path))
    slim(tree_at(tmp_path), DEFAULT_SLIM)
    left = remaining(str(tmp_path))
    assert "lib/python3.11/test/test_os.py" not in left and not any("_testcapi" in f for f in left)
    assert "lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a" not in left
    assert not any("tkinter" in f or "idle" in f for f in left)  # _tkinter links Tk and X11
    assert "include/python3.11/Python.h" in left and "lib/python3.11/ensurepip/__init__.py" in left
    assert "bin/python3.11-config" in left and "lib/python3.11/lib2to3/main.py" in left


def test_every_item(tmp_path):
    make_tree(str(tmp_path))
    slim(tree_at(tmp_path), ("tests", "static", "idlelib", "tkinter", "ensurepip", "lib2to3", "headers", "config",
                                 "pip"))
    assert remaining(str(tmp_path)) == ["bin/python3.11", "lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
                                        "lib/python3.11/os.py"]


SITE = "lib/python3.11/site-packages"


def install_distribution(root, name, version, files, requires=()):
    """A .dist-info the way pip writes one: METADATA with Requires-Dist, RECORD naming every file."""
    site = os.path.join(root, SITE)
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    rows = []
    for rel in files:  # relative to site-packages, as RECORD has them (../../../bin/pip)
        path = os.path.normpath(os.path.join(site, rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
        rows.append(f"{rel},sha256=x,0")
    os.makedirs(os.path.join(site, info))
    with open(os.path.join(site, info, "METADATA"), "w") as fd:
        fd.write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        fd.writelines(f"Requires-Dist: {r}\n" for r in requires)
    rows += [f"{info}/METADATA,,", f"{info}/RECORD,,"]
    with open(os.path.join(site, info, "RECORD"), "w") as fd:
        fd.write("\n".join(rows) + "\n")


def installers(root):
    install_distribution(root, "pip", "23.0.1", ["pip/__init__.py", "pip/_internal/main.py",
                                                 "pip/__pycache__/__init__.cpython-311.pyc",
                                                 "../../../bin/pip3", "../../../bin/pip3.11"])
    install_distribution(root, "setuptools", "65.5.0", ["setuptools/__init__.py", "pkg_resources/__init__.py",
                                                        "_distutils_hack/__init__.py", "distutils-precedence.pth"])
    install_distribution(root, "wheel", "0.40.0", ["wheel/__init__.py", "../../../bin/wheel"])


def test_slim_pip_drops_the_installers_by_their_records(tmp_path):
    root = str(tmp_path)
    os.makedirs(os.path.join(root, "bin"))
    open(os.path.join(root, "bin", "python3.11"), "w").close()
    installers(root)
    install_distribution(root, "Flask", "3.0.0", ["flask/__init__.py"], ["Werkzeug>=3.0.0", "click>=8.1.3"])
    slim(tree_at(root), ("pip",))
    assert remaining(root) == ["bin/python3.11", f"{SITE}/Flask-3.0.0.dist-info/METADATA",
                               f"{SITE}/Flask-3.0.0.dist-info/RECORD", f"{SITE}/flask/__init__.py"]
    assert sorted(os.listdir(os.path.join(root, SITE))) == ["Flask-3.0.0.dist-info", "flask"]


def test_slim_pip_keeps_what_a_staying_distribution_requires(tmp_path):
    root = str(tmp_path)
    installers(root)
    # markers are not evaluated: a distribution that may need setuptools keeps it
    install_distribution(root, "old-plugin", "1.0", ["old_plugin/__init__.py"],
                         ['Setuptools>=40 ; python_version >= "3.8"'])
    # wheel is needed only by pip, which leaves: it leaves too
    install_distribution(root, "pip-helper", "1.0", [], [])
    slim(tree_at(root), ("pip",))
    site = os.listdir(os.path.join(root, SITE))
    assert "setuptools" in site and "pkg_resources" in site and "_distutils_hack" in site
    assert "distutils-precedence.pth" in site and "setuptools-65.5.0.dist-info" in site
    assert "pip" not in site and "wheel" not in site and not os.path.exists(os.path.join(root, "bin", "pip3"))


def test_slim_pip_reads_what_a_legacy_egg_info_requires(tmp_path):
    root = str(tmp_path)
    installers(root)
    egg = os.path.join(root, SITE, "legacy-1.0-py3.11.egg-info")
    os.makedirs(egg)
    with open(os.path.join(egg, "PKG-INFO"), "w") as fd:
        fd.write("Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n")
    with open(os.path.join(egg, "requires.txt"), "w") as fd:
        fd.write("setuptools>=40\n\n[docs]\nsphinx\n")
    slim(tree_at(root), ("pip",))
    site = os.listdir(os.path.join(root, SITE))
    assert "pkg_resources" in site and "setuptools" in site and "pip" not in site
    assert "legacy-1.0-py3.11.egg-info" in site


def test_slim_pip_keeps_pip_for_a_distribution_that_runs_it(tmp_path):
    root = str(tmp_path)
    installers(root)
    install_distribution(root, "pip-tools", "7.3.0", ["piptools/__init__.py"], ["pip>=22.2", "wheel"])
    slim(tree_at(root), ("pip",))
    site = os.listdir(os.path.join(root, SITE))
    assert "pip" in site and "wheel" in site and "setuptools" not in site and "pkg_resources" not in site
    assert os.path.exists(os.path.join(root, "bin", "pip3"))

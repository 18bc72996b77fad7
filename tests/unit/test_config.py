"""debian/<pkg>.pyrpath parsing and every configuration error."""

from __future__ import annotations

import pytest

from dh_pyrpath.config import handled_packages, load_config
from dh_pyrpath.contract.control import read_control
from dh_pyrpath.errors import PyrpathError


def load(package="svc-arch", overrides=None):
    return load_config(package, read_control(), overrides)


def test_defaults(source_tree):
    source_tree("debian/svc-arch.pyrpath", "Python-Source: debian:python3.11\n")
    config = load()
    assert config.prefix == "/opt/svc-arch"
    assert config.requirements == ()
    assert config.wheelhouse is None and config.install_project is False
    assert config.links == () and config.configure_options == ()


def test_all_fields(source_tree):
    source_tree("reqs/a.txt", "idna==3.7\n")
    source_tree("wh/.keep", "")
    source_tree("pyproject.toml", "[project]\nname='x'\n")
    source_tree("debian/svc-arch.pyrpath", """\
        # comment
        python-source: ./Python-3.11.2.tar.xz
        Python-Source-Sha256: %s
        Prefix: /srv/svc
        Requirements: reqs/a.txt
        Wheelhouse: wh
        Install-Project: no
        Configure-Options: --with-lto "CC=gcc -m64"
        Links: svc-a,
         svc-b
        """ % ("AB" * 32))
    config = load()
    assert config.python_source == "./Python-3.11.2.tar.xz"
    assert config.python_source_sha256 == "ab" * 32
    assert config.prefix == "/srv/svc" and config.requirements == ("reqs/a.txt",)
    assert config.wheelhouse == "wh" and config.install_project is False
    assert config.configure_options == ("--with-lto", "CC=gcc -m64")
    assert config.links == ("svc-a", "svc-b")


def test_requirements_default_order(source_tree):
    source_tree("debian/svc-arch.pyrpath", "")
    source_tree("requirements.txt", "")
    assert load().requirements == ("requirements.txt",)
    source_tree("debian/deb-requirements.txt", "")
    assert load().requirements == ("debian/deb-requirements.txt",)
    source_tree("debian/svc-arch.requirements.txt", "")
    assert load().requirements == ("debian/svc-arch.requirements.txt",)


def test_install_project_default_follows_pyproject(source_tree):
    source_tree("debian/svc-arch.pyrpath", "")
    assert load().install_project is False
    source_tree("pyproject.toml", "")
    assert load().install_project is True


def test_main_package_reads_debian_pyrpath(source_tree):
    source_tree("debian/pyrpath", "Prefix: /opt/main\n")
    assert load("svc-arch").prefix == "/opt/main"
    assert load("svc-noprof").prefix == "/opt/svc-noprof"
    assert handled_packages(("svc-arch", "svc-noprof"), read_control()) == ["svc-arch"]


def test_command_line_overrides_file(source_tree):
    source_tree("debian/svc-arch.pyrpath", "Prefix: /opt/a\n")
    assert load(overrides={"Prefix": "/opt/b"}).prefix == "/opt/b"


BAD = [
    ("Bogus: 1\n", r"debian/svc-arch.pyrpath:1: unknown field 'Bogus'"),
    ("Prefix: /opt/a\nPrefix: /opt/b\n", r"Prefix: given twice"),
    ("Prefix /opt/a\n", r":1: not a 'Field: value' line"),
    ("Prefix: /opt/a\n\nLinks: x\n", r"2 paragraphs"),
    ("Prefix: opt/a\n", r"Prefix: 'opt/a' is not absolute"),
    ("Prefix: /usr/lib/svc\n", r"Prefix: /usr/lib/svc is a system directory \(inside the distribution's /usr\)"),
    ("Prefix: /srv\n", r"Prefix: /srv is a system directory .*; use a directory of its own such as /srv/svc-arch or /opt/svc-arch"),
    ("Bytecode: sometimes\n", r"Bytecode: 'sometimes' is not one of install, build"),
    ("Prefix: /opt/../etc\n", r"not a normalised path"),
    ("Prefix: /opt/a b\n", r"contains white space"),
    ("Python-Source: https://example.org/Python.tgz\n", r"Python-Source: an https URL needs Python-Source-Sha256"),
    ("Python-Source: http://example.org/Python.tgz\nPython-Source-Sha256: " + "a" * 64 + "\n", r"plain http"),
    ("Python-Source-Sha256: abc\n", r"Python-Source-Sha256: 'abc' is not 64 hex digits"),
    ("Requirements: nope.txt\n", r"Requirements: nope.txt does not exist"),
    ("Wheelhouse: nowhere\n", r"Wheelhouse: nowhere is not a directory"),
    ("Install-Project: maybe\n", r"Install-Project: 'maybe' is neither yes nor no"),
    ("Install-Project: yes\n", r"Install-Project: yes, but the source tree has no pyproject.toml"),
    ("Configure-Options: 'unterminated\n", r"Configure-Options: No closing quotation"),
    ("Configure-Options: --prefix=/x\n", r"--prefix=/x is managed by dh-pyrpath"),
    ("Links: ../evil\n", r"Links: '../evil' is not a script name"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_config(source_tree, text, message):
    source_tree("debian/svc-arch.pyrpath", text)
    with pytest.raises(PyrpathError, match=message):
        load()


def test_arch_all_package_refused(source_tree):
    source_tree("debian/svc-doc.pyrpath", "")
    with pytest.raises(PyrpathError, match="svc-doc is Architecture: all"):
        load("svc-doc")


def test_non_utf8_config(source_tree, tmp_path):
    (tmp_path / "debian/svc-arch.pyrpath").write_bytes(b"Prefix: /opt/\xff\n")
    with pytest.raises(PyrpathError, match="not UTF-8"):
        load()

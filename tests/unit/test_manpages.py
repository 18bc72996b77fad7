"""Every command has a debhelper(7)-style man page, and --help says nothing the page does not."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "debhelper")
DH_COMMANDS = ("dh_pyrpath_buildpython", "dh_pyrpath_pipinstall", "dh_pyrpath_install", "dh_pyrpath_prebuilt",
               "dh_pyrpath_sbom", "dh_pyrpath_test")
SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "FILES", "SEE ALSO")


def pod(command: str) -> str:
    with open(os.path.join(BIN, f"{command}.pod"), encoding="utf-8") as fd:
        return fd.read()


def executables() -> list[str]:
    return sorted(n for n in os.listdir(BIN) if "." not in n and os.access(os.path.join(BIN, n), os.X_OK))


def test_every_executable_has_a_page_and_is_installed_with_it():
    with open(os.path.join(ROOT, "debian", "dh-pyrpath.manpages"), encoding="utf-8") as fd:
        pages = fd.read().split()
    with open(os.path.join(ROOT, "debian", "dh-pyrpath.install"), encoding="utf-8") as fd:
        installed = fd.read()
    assert executables() == sorted(DH_COMMANDS + ("pyrpath",))
    for command in executables():
        assert os.path.isfile(os.path.join(BIN, f"{command}.pod"))
        assert f"build/man/{command}.1" in pages
        assert f"debhelper/{command} usr/bin" in installed


@pytest.mark.parametrize("command", DH_COMMANDS + ("pyrpath",))
def test_page_has_the_debhelper_sections(command):
    headings = re.findall(r"^=head1 (.+)$", pod(command), re.M)
    for section in SECTIONS:
        assert section in headings, f"{command}.pod lacks {section}"
    if command in DH_COMMANDS:
        assert "CONFIGURATION FIELDS" in headings
    result = subprocess.run(["podchecker", os.path.join(BIN, f"{command}.pod")], capture_output=True, text=True)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr


@pytest.mark.parametrize("command,args", [(c, []) for c in DH_COMMANDS] + [("pyrpath", []), ("pyrpath", ["vendor"]),
                                                                             ("pyrpath", ["inventory"]), ("pyrpath", ["runtime", "init"])])
def test_help_options_are_documented(source_tree, command, args):
    result = subprocess.run([os.path.join(BIN, command), *args, "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    page = pod(command)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", result.stdout)) - {"--help"}
    assert options or command == "pyrpath"
    for option in sorted(options):
        assert f"B<{option}" in page or f"{option}" in page, f"{command} --help shows {option}, its page does not"

"""Run pip with the staged interpreter, the way every install step needs it."""

from __future__ import annotations

import glob
import os
import re

from packaging.version import InvalidVersion, Version

from dh_pyrpath.config import PackageConfig
from dh_pyrpath.contract.runner import run
from dh_pyrpath.deps.compiler import compiler_env
from dh_pyrpath.staging import StagedTree, sbom_inputs_dir

# pip settings that would send files somewhere other than the staged tree.
_MISDIRECTING = ("PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER", "PIP_REQUIRE_VIRTUALENV")


def pip_env(tree: StagedTree, config: PackageConfig) -> dict[str, str]:
    """The environment pip runs in.

    From an index: the host's (PIP_* mirrors, pip.conf) minus what would
    misdirect pip.  From a wheelhouse: no host pip configuration at all, so
    that the wheelhouse is the only source (no find-links or constraints
    of the build machine's).
    """
    if config.wheelhouse:
        env = {k: v for k, v in tree.env().items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    else:
        env = {k: v for k, v in tree.env().items() if k not in _MISDIRECTING}
    env["PIP_ROOT_USER_ACTION"] = "ignore"
    return env


# Every sdist (the project's own too) is built the PEP 517 way, in an isolated
# environment with its declared build requirements (setuptools and wheel for a
# setup.py-only project, as pyrpath vendor fetches them). Without it, the pip
# of CPython 3.11 runs `setup.py bdist_wheel` directly for a project without a
# pyproject.toml, which fails: the staged tree has setuptools but no wheel.
BUILD_OPTIONS = ("--use-pep517",)


def index_options(config: PackageConfig) -> list[str]:
    """--no-index --find-links for a wheelhouse; nothing (host pip config) otherwise."""
    if config.wheelhouse:
        return ["--no-index", "--find-links", os.path.abspath(config.wheelhouse)]
    return []


def run_pip(tree: StagedTree, config: PackageConfig, args: list[str], log: str, what: str) -> None:
    """python -I -m pip <args> with the staged interpreter; pip's common failures explained in one line."""
    argv = [tree.python, "-I", "-m", "pip", "--disable-pip-version-check", *args]
    env = pip_env(tree, config) | compiler_env(tree)
    run(argv, what, log=log, env=env, explain=lambda output: explain_failure(output, config))


def install_requirements(tree: StagedTree, config: PackageConfig, log: str) -> None:
    """pip install -r each requirements file into the staged tree, without bytecode."""
    args = ["install", "--no-compile", "--no-warn-script-location", *BUILD_OPTIONS, *index_options(config),
            *report_options(tree, "requirements")]
    for path in config.requirements:
        args += ["-r", os.path.abspath(path)]
    run_pip(tree, config, args, log, f"pip install of {', '.join(config.requirements)}")


_HASH_ORIGIN = re.compile(r"^\s+(\S+) from (\S+)(?: \(from -r (\S+) \(line (\d+)\)\))?:?$")
_HASHES = re.compile(r"Expected sha256 (\w+)\s+Got\s+(\w+)")
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")


def explain_failure(output: str, config: PackageConfig) -> str | None:
    """One line for the failures a maintainer fixes in the packaging: a changed wheel, a missing one."""
    if "DO NOT MATCH THE HASHES" in output:
        for line in output.splitlines():
            origin = _HASH_ORIGIN.match(line)
            if not origin:
                continue
            requirement, url, reqfile, number = origin.groups()
            hashes = _HASHES.search(output[output.find(line):])
            got = f"has sha256 {hashes.group(2)}, " if hashes else ""
            where = f" at {os.path.relpath(reqfile)}:{number}" if reqfile else ""
            shown = os.path.relpath(url[len("file://"):]) if url.startswith("file://") else url
            return (f"{shown}: {got}not the --hash of {requirement}{where}; the file was changed: "
                    "restore it (pyrpath vendor) or update the hash")
    missing = _NOT_FOUND.search(output)
    if missing:
        files = ", ".join(config.requirements)
        if config.wheelhouse:
            return (f"{config.wheelhouse}/ holds no distribution of {missing.group(1)} (pinned in {files}); "
                    "run pyrpath vendor again, or fix the pin")
        return (f"no distribution of {missing.group(1)} (pinned in {files}) on the configured index; "
                "fix the pin, or the index (PIP_INDEX_URL, /etc/pip.conf)")
    return None


def pip_report(package: str, step: str) -> str:
    """The absolute path of the `pip install --report` file of one pip step (requirements, project)."""
    os.makedirs(sbom_inputs_dir(package), exist_ok=True)
    return os.path.abspath(os.path.join(sbom_inputs_dir(package), f"pip-report-{step}.json"))


def report_options(tree: StagedTree, step: str) -> list[str]:
    """`--report <file>` for a pip install step, when the staged pip has it (pip 22.2 and later)."""
    pips = glob.glob(os.path.join(glob.escape(tree.site_packages), "pip-*.dist-info"))
    versions = [os.path.basename(p)[len("pip-"):-len(".dist-info")] for p in pips]
    try:
        if not versions or Version(versions[0]) < Version("22.2"):
            return []
    except InvalidVersion:
        return []
    return ["--report", pip_report(tree.package, step)]

"""Run pip with the staged interpreter, the way every install step needs it."""

from __future__ import annotations

import os

from .config import PackageConfig
from .cpython import staged_env
from .runlog import run_logged
from .staging import StagedTree

# pip settings that would send files somewhere other than the staged tree.
_MISDIRECTING = ("PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER", "PIP_REQUIRE_VIRTUALENV")


def pip_env() -> dict[str, str]:
    """The host's environment (PIP_* mirrors included) minus what would misdirect pip."""
    env = {k: v for k, v in staged_env().items() if k not in _MISDIRECTING}
    env["PIP_ROOT_USER_ACTION"] = "ignore"
    return env


def index_options(config: PackageConfig) -> list[str]:
    """--no-index --find-links for a wheelhouse; nothing (host pip config) otherwise."""
    if config.wheelhouse:
        return ["--no-index", "--find-links", os.path.abspath(config.wheelhouse)]
    return []


def run_pip(tree: StagedTree, args: list[str], log: str, what: str, echo: bool) -> None:
    """python -I -m pip <args> with the staged interpreter."""
    argv = [tree.python, "-I", "-m", "pip", "--disable-pip-version-check", *args]
    run_logged(argv, log, what, env=pip_env(), echo=echo)


def install_requirements(tree: StagedTree, config: PackageConfig, log: str, echo: bool) -> None:
    """pip install -r each requirements file into the staged tree, without bytecode."""
    args = ["install", "--no-compile", "--no-warn-script-location", *index_options(config)]
    for path in config.requirements:
        args += ["-r", os.path.abspath(path)]
    run_pip(tree, args, log, f"pip install of {', '.join(config.requirements)}", echo)

"""dh_pyrpath_pipinstall: install each package's pinned requirements into its staged CPython."""

from __future__ import annotations

import os

from ..cli import run
from ..config import load_configs
from ..debhelper import Invocation
from ..pip import install_requirements
from ..requirements import unpinned, validate_requirement_files
from ..staging import load_staged, state_dir

COMMAND = "dh_pyrpath_pipinstall"
SUMMARY = "pip-install each package's pinned requirements with its staged interpreter."


def pipinstall(invocation: Invocation) -> None:
    for config in load_configs(invocation.packages, invocation.control, invocation.overrides):
        package = config.package
        pins = validate_requirement_files(config.requirements)
        for pin in unpinned(pins):
            invocation.warn(f"{pin.where}: {pin.name}{pin.specifier} is not pinned to one version (==)")
        if invocation.no_act:
            invocation.progress(f"would pip install {len(pins)} requirements for {package}")
            continue
        if not config.requirements:
            invocation.progress(f"{package}: no requirements file; nothing to install")
            continue
        tree = load_staged(package, COMMAND)
        log = os.path.join(state_dir(package), "pip.log")
        source = f"wheelhouse {config.wheelhouse}" if config.wheelhouse else "the configured index"
        invocation.progress(f"pip install {len(pins)} requirements from {source} into {config.prefix}")
        install_requirements(tree, config, log, echo=invocation.verbose)


def main() -> None:
    run(COMMAND, SUMMARY, pipinstall)

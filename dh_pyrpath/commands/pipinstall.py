"""dh_pyrpath_pipinstall: install each package's pinned requirements and its project into its staged CPython.

Runs in the build target, after dh_pyrpath_buildpython: what pip compiles
(sdists, the project's own wheel) is built unprivileged, never under fakeroot.
"""

from __future__ import annotations

import os

from dh_pyrpath.config import PackageConfig, load_configs
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.deps.pip import install_requirements
from dh_pyrpath.deps.requirements import unpinned, validate_requirement_files
from dh_pyrpath.project.wheel import build_wheel, install_wheel
from dh_pyrpath.staging import StagedTree, load_staged, state_dir

COMMAND = "dh_pyrpath_pipinstall"
SUMMARY = "pip-install each package's pinned requirements, then its project's wheel, with its staged interpreter."


def install_pins(invocation: Invocation, tree: StagedTree, config: PackageConfig, count: int) -> None:
    if not config.requirements:
        invocation.progress(f"{config.package}: no requirements file; nothing to install")
        return
    source = f"wheelhouse {config.wheelhouse}" if config.wheelhouse else "the configured index"
    invocation.progress(f"pip install {count} requirements from {source} into {config.prefix}")
    install_requirements(tree, config, os.path.join(state_dir(config.package), "pip.log"))


def install_project(invocation: Invocation, tree: StagedTree, config: PackageConfig) -> None:
    invocation.progress(f"build and install the project into {config.prefix}")
    log = os.path.join(state_dir(config.package), "project.log")
    wheel = build_wheel(tree, config, log)
    install_wheel(tree, config, wheel, log)


def pipinstall(invocation: Invocation) -> None:
    # A runtime package ships CPython as built, nothing is installed into it.
    configs = [c for c in load_configs(invocation.packages, invocation.control, invocation.overrides) if not c.runtime]
    pins = {config.package: checked_pins(invocation, config) for config in configs}
    invocation.each(configs,
                    lambda config: f"pip install {pins[config.package]} requirements"
                                   f"{' and the project' if config.install_project else ''} for {config.package}",
                    lambda config: install_all(invocation, config, pins[config.package]))


def checked_pins(invocation: Invocation, config: PackageConfig) -> int:
    """The number of pins of the package's requirements files, warning about those that pin no one version."""
    pins = validate_requirement_files(config.requirements)
    for pin in unpinned(pins):
        invocation.warn(f"{pin.where}: {pin.name}{pin.specifier} is not pinned to one version (==)")
    return len(pins)


def install_all(invocation: Invocation, config: PackageConfig, count: int) -> None:
    tree = load_staged(config.package, COMMAND)
    install_pins(invocation, tree, config, count)
    if config.install_project:
        install_project(invocation, tree, config)


def main() -> None:
    run(COMMAND, SUMMARY, pipinstall)

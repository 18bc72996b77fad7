"""dh_pyrpath_test: run each package's Test-Command with its private interpreter (dh_auto_test runs it)."""

from __future__ import annotations

from dh_pyrpath.config import PackageConfig, load_configs
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.control import active_profiles
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.deps.requirements import validate_requirement_files
from dh_pyrpath.project.testrun import clean_up, install_test_requirements, prepare, run_tests
from dh_pyrpath.staging import load_staged

COMMAND = "dh_pyrpath_test"
SUMMARY = "run each package's Test-Command with its staged interpreter, test requirements in a throwaway copy."


def skipped(invocation: Invocation) -> bool:
    """DEB_BUILD_OPTIONS=nocheck or the nocheck build profile."""
    return invocation.build.nocheck or "nocheck" in active_profiles()


def test_package(invocation: Invocation, config: PackageConfig) -> None:
    scratch = prepare(load_staged(config.package, COMMAND))
    if config.test_requirements:
        invocation.progress(f"pip install {', '.join(config.test_requirements)} into a throwaway copy of {config.prefix}")
        install_test_requirements(scratch, config)
    invocation.progress(f"{config.package}: {config.test_command} (log: {scratch.log})")
    run_tests(scratch, config)
    clean_up(scratch)


def test(invocation: Invocation) -> None:
    configs = [c for c in load_configs(invocation.packages, invocation.control, invocation.overrides) if c.test_command]
    if configs and skipped(invocation):
        invocation.progress("nocheck: not running " + ", ".join(c.package for c in configs) + " tests")
        return
    for config in configs:
        validate_requirement_files(config.test_requirements)
    invocation.each(configs, lambda config: f"run {config.package}'s Test-Command: {config.test_command}",
                    lambda config: test_package(invocation, config))


def main() -> None:
    run(COMMAND, SUMMARY, test)

"""Integration fixtures: each example built once per test session.

CPython builds are shared through dh-pyrpath's own cache (~/.cache/dh-pyrpath,
or DH_PYRPATH_CACHE), so a second run on the same machine compiles nothing.
"""

from __future__ import annotations

import pytest

from debs import BUILD_TIMES, Built, build_example


@pytest.fixture(scope="session")
def hello_build(tmp_path_factory) -> Built:
    return build_example("hello-service", str(tmp_path_factory.mktemp("hello")))


@pytest.fixture(scope="session")
def twin_build(tmp_path_factory) -> Built:
    return build_example("twin-services", str(tmp_path_factory.mktemp("twin")))



@pytest.fixture(scope="session")
def pypiserver_build(tmp_path_factory) -> Built:
    return build_example("pypiserver", str(tmp_path_factory.mktemp("pypiserver")))


@pytest.fixture(scope="session")
def imaging_build(tmp_path_factory) -> Built:
    return build_example("imaging-service", str(tmp_path_factory.mktemp("imaging")))


def pytest_terminal_summary(terminalreporter) -> None:
    """How long each source tree took to build (dpkg-buildpackage -b), slowest first."""
    if BUILD_TIMES:
        terminalreporter.section("dpkg-buildpackage -b times")
        for name, seconds in sorted(BUILD_TIMES.items(), key=lambda item: -item[1]):
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")

"""dh_pyrpath_sbom: write each package's SBOM (CycloneDX) once ${shlibs:Depends} is complete."""

from __future__ import annotations

import os

from dh_pyrpath.config import load_configs
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.files import substvars_file
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.sbom.collect import collect
from dh_pyrpath.sbom.inputs import load_cpython, pip_installs
from dh_pyrpath.sbom.write import sbom_path, write_sbom
from dh_pyrpath.staging import load_staged

COMMAND = "dh_pyrpath_sbom"
SUMMARY = ("Write /usr/share/doc/<pkg>/sbom.cdx.json: the CPython, Python distributions, bundled libraries "
           "and Debian libraries each package carries or needs (CycloneDX 1.6).")


def sbom(invocation: Invocation) -> None:
    configs = load_configs(invocation.packages, invocation.control, invocation.overrides)
    for config in configs:
        if config.runtime:
            invocation.progress(f"{config.package}: a runtime package has no SBOM of its own; the SBOM of each "
                                "service built from it lists the CPython it copied")
    invocation.each([config.package for config in configs if not config.runtime],
                    lambda package: f"write {sbom_path(invocation.tmpdir(package), package)}",
                    lambda package: write_package_sbom(invocation, package))


def write_package_sbom(invocation: Invocation, package: str) -> None:
    tree = load_staged(package, COMMAND).placed(invocation.tmpdir(package))  # the finished tree
    found = collect(tree, load_cpython(package, COMMAND), pip_installs(package), substvars_file(package))
    path = write_sbom(found, tree.destdir, [os.getcwd(), *tree.build_dirs])
    invocation.progress(f"{package}: SBOM of CPython {found.cpython.version}, {len(found.distributions)} Python "
                        f"distributions, {len(found.debian)} Debian libraries: {path}")


def main() -> None:
    run(COMMAND, SUMMARY, sbom)

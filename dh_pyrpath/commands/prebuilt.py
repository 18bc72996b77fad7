"""dh_pyrpath_prebuilt: after dh_shlibdeps, put back the prebuilt wheel binaries and add what they need."""

from __future__ import annotations

import os

from dh_pyrpath.config import handled_packages
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.files import add_substvar
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.dpkg.prebuilt_binaries import put_back, recorded, shlibs_depends
from dh_pyrpath.staging import state_dir

COMMAND = "dh_pyrpath_prebuilt"
SUMMARY = ("Put the binaries of prebuilt wheels back once dh_dwz, dh_strip and dh_shlibdeps have run, "
           "and add the Debian libraries they need to ${shlibs:Depends}.")


def prebuilt(invocation: Invocation) -> None:
    invocation.each(handled_packages(invocation.packages, invocation.control),
                    lambda package: f"put back {len(recorded(state_dir(package)))} prebuilt file(s) into "
                                    f"{invocation.tmpdir(package)}",
                    lambda package: put_back_binaries(invocation, package))


def put_back_binaries(invocation: Invocation, package: str) -> None:
    """The prebuilt binaries back into the package build tree, and the libraries they need into shlibs:Depends."""
    destdir = invocation.tmpdir(package)
    files = recorded(state_dir(package))
    moved = put_back(state_dir(package), destdir)
    if not moved:
        return
    depends = shlibs_depends(destdir, files, os.path.join(state_dir(package), "shlibdeps.log"))
    if depends:
        add_substvar(package, "shlibs:Depends", depends)
    invocation.progress(f"{package}: put back {moved} prebuilt wheel binaries (not stripped); they need: "
                        f"{depends or 'nothing more'}")


def main() -> None:
    run(COMMAND, SUMMARY, prebuilt)

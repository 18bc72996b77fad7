"""pyrpath: the maintainer's command of dh-pyrpath, run by hand outside the dh sequence."""

from __future__ import annotations

import argparse
import sys

from ..cli import guarded
from ..vendor import vendor

COMMAND = "pyrpath"


def run_vendor(args: argparse.Namespace) -> None:
    def progress(message: str) -> None:
        print(f"{COMMAND} vendor: {message}", flush=True)

    for written in vendor(progress):
        print(written.line())


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=COMMAND, description="dh-pyrpath's maintainer commands; see pyrpath(1).")
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")
    vendor_parser = actions.add_parser(
        "vendor", help="put the CPython source and every wheel into orig component tarballs (offline builds)",
        description="In a source package using dh-pyrpath: write <src>_<ver>.orig-cpython.tar.* and "
                    "<src>_<ver>.orig-wheels.tar.xz beside the main orig tarball, unpacked in cpython/ and wheels/.")
    vendor_parser.set_defaults(func=run_vendor)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    guarded(f"{COMMAND} {args.action}", lambda: args.func(args))

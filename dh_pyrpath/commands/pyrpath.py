"""pyrpath: the maintainer's command of dh-pyrpath, run by hand outside the dh sequence."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from dh_pyrpath.audit.checks import audit
from dh_pyrpath.contract.command import guarded
from dh_pyrpath.cpython.cache.admin import entries, prune, usage, verify
from dh_pyrpath.cpython.cache.entries import cache_root
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.runtime.init import DEFAULT_OPTIMIZE, Request, init
from dh_pyrpath.sbom.inventory import find, find_python, inventory, problem_lines, python_specifier, report_lines, requirement
from dh_pyrpath.vendor.origs import vendor

COMMAND = "pyrpath"
EXIT_FINDINGS = 1  # pyrpath audit or inventory found something, cache verify a damaged entry; errors exit 255
PRUNE_DAYS = 30


def run_vendor(args: argparse.Namespace) -> None:
    def progress(message: str) -> None:
        print(f"{COMMAND} vendor: {message}", flush=True)

    for written in vendor(progress):
        print(written.line())


def run_runtime_init(args: argparse.Namespace) -> None:
    def progress(message: str) -> None:
        print(f"{COMMAND} runtime init: {message}", flush=True)

    written = init(Request(args.directory, args.python, args.optimize, args.name, args.version, args.maintainer,
                           args.distribution), progress)
    print(f"{written.orig}\n{written.directory}/  {written.name} {written.version}: build it with "
          f"(cd {written.directory} && dpkg-buildpackage) or sbuild, publish it, and Build-Depend on {written.name}")


def runtime_parser(actions: argparse._SubParsersAction) -> None:
    runtime = actions.add_parser(
        "runtime", help="make the source package of a runtime package (CPython built once per site)",
        description="Runtime packages: CPython built once, published in the site's apt repository, copied by "
                    "the services whose Python-Source is runtime:<name>.")
    what = runtime.add_subparsers(dest="runtime_action", required=True, metavar="RUNTIME-ACTION")
    making = what.add_parser(
        "init", help="write the source package of a runtime package into DIR",
        description="Write DIR/<name>_<upstream>.orig.tar.* (the orig tarball of Debian's python3.X) and "
                    "DIR/<name>-<upstream>/ with its debian/: a 3.0 (quilt) source package that builds offline "
                    "with dpkg-buildpackage or sbuild.")
    making.add_argument("directory", metavar="DIR", help="where to write the orig tarball and the source tree")
    making.add_argument("--python", required=True, metavar="debian:python3.X",
                        help="the CPython: the orig tarball of that Debian source package")
    making.add_argument("--optimize", default=DEFAULT_OPTIMIZE, metavar="LEVEL",
                        help=f"none, lto, pgo or pgo+lto (default {DEFAULT_OPTIMIZE}: the compile is paid once)")
    making.add_argument("--name", metavar="NAME", help="the package name (default pyrpath-cpython3.X)")
    making.add_argument("--version", metavar="VERSION", help="the package version (default <CPython version>-1)")
    making.add_argument("--maintainer", metavar="'NAME <ADDRESS>'",
                        help="the Maintainer field (default DEBFULLNAME <DEBEMAIL>)")
    making.add_argument("--distribution", metavar="SUITE",
                        help="the changelog's distribution (default: this system's codename)")
    making.set_defaults(func=run_runtime_init)


def run_audit(args: argparse.Namespace) -> None:
    """Print the report (human or --json); exit 1 when anything is not isolated."""
    report = audit(args.target, prefix=args.prefix, build_paths=args.build_path)
    if args.json:
        print(json.dumps(report.as_json(), indent=1))
    else:
        lines = report.summary()
        print(f"{COMMAND} audit: {lines[0]}")
        for line in lines[1:]:
            print(line)
    sys.stdout.flush()
    if not report.isolated:
        raise SystemExit(EXIT_FINDINGS)


def run_inventory(args: argparse.Namespace) -> None:
    """List (or query) the installed dh-pyrpath packages; exit 1 on a mismatch or a match."""
    wanted = requirement(args.find) if args.find else None
    python = python_specifier(args.python) if args.python else None
    carriers = inventory()
    matches = (find(carriers, wanted) if wanted else []) + (find_python(carriers, python) if python else [])
    problems = problem_lines(carriers)
    if args.json:
        data: dict = {"packages": [c.as_json() for c in carriers]}
        if wanted or python:
            data["matches"] = [m.as_json() for m in matches]
        print(json.dumps(data, indent=1, sort_keys=True))
    elif wanted or python:
        asked = " and ".join(filter(None, (args.find, args.python and f"CPython {args.python}")))
        print(f"{COMMAND} inventory: {len(matches)} of {len(carriers)} package(s) carry {asked}")
        for match in matches:
            assert match.carrier.sbom
            print(f"{match.carrier.package} {match.carrier.version} {match.carrier.sbom.subject.prefix}: {match.what}")
    elif carriers:
        print("\n".join(report_lines(carriers)))
    else:
        print(f"{COMMAND} inventory: no installed package built by dh-pyrpath")
    if not args.json:
        for line in problems:
            print(f"MISMATCH {line}")
    sys.stdout.flush()
    if problems or matches:
        raise SystemExit(EXIT_FINDINGS)


def human(size: int) -> str:
    """A size in bytes as people read it: 812 kB, 4.2 MB, 256 MB."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"


def when(stamp: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return time.strftime(fmt, time.localtime(stamp)) if stamp else "?"


def the_cache() -> str:
    root = cache_root()
    if root is None:
        raise PyrpathError("DH_PYRPATH_CACHE: there is no cache (the variable is set empty, or HOME is not a "
                           "writable directory); set DH_PYRPATH_CACHE to the cache's directory")
    return root


def older_than_days(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise PyrpathError(f"--older-than: {text!r} is not a number of days; give a whole number such as "
                           f"{PRUNE_DAYS}, or --all")
    return int(text)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def run_cache_list(args: argparse.Namespace) -> None:
    """One line per entry, the most recently used first."""
    root = the_cache()
    found = entries(root)
    if not found:
        print(f"{COMMAND} cache list: no cached CPython in {root}")
        return
    rows = [("KEY", "CPYTHON", "PREFIX", "SIZE", "LAST USED", "BUILT")]
    rows += [(e.key, e.version, e.prefix, human(e.size), when(e.last_used), when(e.built, "%Y-%m-%d"))
             for e in found]
    print("\n".join(table(rows)))


def run_cache_size(args: argparse.Namespace) -> None:
    found = usage(the_cache())
    unfinished = f"{found.temporaries} temporary build director{'y' if found.temporaries == 1 else 'ies'}"
    print(f"{human(found.total)} in {found.root}: {found.entries} entr{'y' if found.entries == 1 else 'ies'} "
          f"({human(found.entries_size)}), {unfinished} ({human(found.temporaries_size)}), "
          f"downloaded sources ({human(found.sources_size)})")


def run_cache_prune(args: argparse.Namespace) -> None:
    days = None if args.all else older_than_days(args.older_than)
    result = prune(the_cache(), days)
    for e in result.removed:
        print(f"removed {e.key} (CPython {e.version} for {e.prefix}, last used {when(e.last_used)}, {human(e.size)})")
    for temporary in result.temporaries:
        print(f"removed {temporary.path} (left by a build that did not finish)")
    for key in result.busy:
        print(f"kept {key}: a build is using it")
    print(f"{COMMAND} cache prune: freed {human(result.freed)}", flush=True)


def run_cache_verify(args: argparse.Namespace) -> None:
    """Hash every file of every entry; remove the damaged ones and exit 1 if there were any."""
    def progress(message: str) -> None:
        print(f"{COMMAND} cache verify: {message}", flush=True)

    damaged = intact = 0
    for key, problems in verify(the_cache(), progress):
        if problems:
            damaged += 1
            print(f"{key}: damaged ({'; '.join(problems[:10])}{'; ...' if len(problems) > 10 else ''}); removed",
                  flush=True)
        else:
            intact += 1
            print(f"{key}: intact", flush=True)
    progress(f"{intact} intact, {damaged} damaged and removed")
    if damaged:
        raise SystemExit(EXIT_FINDINGS)


def cache_parser(actions: argparse._SubParsersAction) -> None:
    cache = actions.add_parser(
        "cache", help="list, measure, prune or verify the cache of built CPython trees",
        description="Look after dh_pyrpath_buildpython's cache of built CPython trees ($DH_PYRPATH_CACHE, "
                    "by default ~/.cache/dh-pyrpath).")
    what = cache.add_subparsers(dest="cache_action", required=True, metavar="CACHE-ACTION")
    what.add_parser("list", help="one line per entry: key, CPython version, prefix, size, last used, built",
                    ).set_defaults(func=run_cache_list)
    what.add_parser("size", help="the space the cache takes, in total and by part").set_defaults(func=run_cache_size)
    pruning = what.add_parser(
        "prune", help="remove entries not used for a while, and what dead builds left",
        description="Remove the entries not used for DAYS days (or all of them), and the temporary directories "
                    "of builds that did not finish; what a running build uses is kept.")
    age = pruning.add_mutually_exclusive_group()
    age.add_argument("--older-than", metavar="DAYS", default=str(PRUNE_DAYS),
                     help=f"remove entries last used more than DAYS days ago (default {PRUNE_DAYS})")
    age.add_argument("--all", action="store_true", help="remove every entry")
    pruning.set_defaults(func=run_cache_prune)
    what.add_parser("verify", help="hash every file of every entry; remove the damaged ones (exit status 1)",
                    ).set_defaults(func=run_cache_verify)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=COMMAND, description="dh-pyrpath's maintainer commands; see pyrpath(1).")
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")
    vendor_parser = actions.add_parser(
        "vendor", help="put the CPython source and every wheel into orig component tarballs (offline builds)",
        description="In a source package using dh-pyrpath: write <src>_<ver>.orig-cpython.tar.* and "
                    "<src>_<ver>.orig-wheels.tar.xz beside the main orig tarball, unpacked in cpython/ and wheels/.")
    vendor_parser.set_defaults(func=run_vendor)
    audit_parser = actions.add_parser(
        "audit", help="check a .deb or an installed prefix for anything loaded from outside its prefix",
        description="Check a .deb, an unpacked package tree or an installed prefix against dh-pyrpath's "
                    "isolation invariants (libpython and NEEDED libraries, RUNPATHs, #! lines, build paths; "
                    "for an installed prefix, also what its interpreter imports). Exit status 1 on any finding.")
    audit_parser.add_argument("target", metavar="TARGET",
                              help="a .deb, an unpacked package tree (e.g. debian/<pkg>), or an installed prefix")
    audit_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    audit_parser.add_argument("--prefix", metavar="DIR",
                              help="the private prefix inside a .deb or tree "
                                   "(default: the one directory holding bin/python3*)")
    audit_parser.add_argument("--build-path", metavar="DIR", action="append", default=[],
                              help="a directory the package was built in, looked for in every file (repeatable)")
    audit_parser.set_defaults(func=run_audit)
    inventory_parser = actions.add_parser(
        "inventory", help="list the installed packages built by dh-pyrpath, or those carrying a given version",
        description="List the installed packages that ship a dh-pyrpath SBOM, with their prefix, CPython and "
                    "Python distributions, and check the SBOMs against the installed *.dist-info. Exit status 1 "
                    "on a mismatch, or when --find or --python matched a package; 0 when there is nothing to report.")
    inventory_parser.add_argument("--find", metavar="REQUIREMENT",
                                  help="list the packages carrying a distribution that matches REQUIREMENT "
                                       "(PEP 508, e.g. 'urllib3<2.2.2')")
    inventory_parser.add_argument("--python", metavar="SPECIFIER",
                                  help="list the packages whose CPython matches SPECIFIER (e.g. '<3.11.9')")
    inventory_parser.add_argument("--json", action="store_true", help="print the inventory as JSON")
    inventory_parser.set_defaults(func=run_inventory)
    cache_parser(actions)
    runtime_parser(actions)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    name = " ".join(filter(None, (COMMAND, args.action, getattr(args, "cache_action", None),
                                  getattr(args, "runtime_action", None))))
    guarded(name, lambda: args.func(args))

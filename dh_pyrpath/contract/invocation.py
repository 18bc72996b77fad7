"""The debhelper contract every dh_pyrpath_* command honours.

Option order and semantics follow debhelper's own option handling:
DH_INTERNAL_OPTIONS (set by dh inside override targets) restricts the
packages, DH_OPTIONS adds options (unknown ones are warned about and
ignored), then the command line is parsed strictly.  Values passed with -O
(dh forwards its own options that way) are applied only if they parse.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from dh_pyrpath.contract.control import SourceControl, buildable_packages, read_control
from dh_pyrpath.errors import PyrpathError

# Command-line spellings of the configuration fields; they override the file.
CONFIG_OPTIONS = {
    "--python-source": "Python-Source",
    "--python-source-sha256": "Python-Source-Sha256",
    "--prefix": "Prefix",
    "--requirements": "Requirements",
    "--wheelhouse": "Wheelhouse",
    "--install-project": "Install-Project",
    "--configure-options": "Configure-Options",
    "--links": "Links",
    "--optimize": "Optimize",
    "--slim": "Slim",
    "--bytecode": "Bytecode",
    "--test-command": "Test-Command",
    "--test-requirements": "Test-Requirements",
}


class OptionError(Exception):
    """An option that did not parse (argparse would otherwise exit)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise OptionError(message)


@dataclass(frozen=True)
class BuildOptions:
    """What DEB_BUILD_OPTIONS asks of this build."""

    parallel: int = 1
    noopt: bool = False
    nopgo: bool = False
    nolto: bool = False
    nocheck: bool = False
    terse: bool = False

    @classmethod
    def from_env(cls, value: str | None = None) -> "BuildOptions":
        words = (os.environ.get("DEB_BUILD_OPTIONS", "") if value is None else value).split()
        parallel = 1
        for word in words:
            if word.startswith("parallel="):
                try:
                    parallel = max(1, int(word.split("=", 1)[1]))
                except ValueError:
                    pass
        return cls(
            parallel=parallel,
            noopt="noopt" in words,
            nopgo="nopgo" in words,
            nolto="nolto" in words,
            nocheck="nocheck" in words,
            terse="terse" in words,
        )


@dataclass
class _State:
    """What parsing accumulates, in the order options were given."""

    packages: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    any_selection: bool = False
    verbose: bool = False
    no_act: bool = False
    remaining: bool = False
    tmpdir: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)


T = TypeVar("T")


@dataclass(frozen=True)
class Invocation:
    """One run of a dh_pyrpath_* command, after the debhelper contract applied."""

    command: str
    control: SourceControl
    packages: tuple[str, ...]
    overrides: dict[str, str]
    tmpdir_option: str | None = None
    verbose: bool = False
    quiet: bool = False
    no_act: bool = False
    build: BuildOptions = BuildOptions()

    def tmpdir(self, package: str) -> str:
        """The package build tree: debian/<pkg>, or -P/--tmpdir."""
        return self.tmpdir_option or os.path.join("debian", package)

    def progress(self, message: str) -> None:
        """A concise progress line, silenced by DH_QUIET or terse."""
        if not self.quiet:
            print(f"{self.command}: {message}", flush=True)

    def each(self, items: Iterable[T], would: Callable[[T], str], act: Callable[[T], None]) -> None:
        """act on each item in turn; under --no-act, only say what it would do ("would ...") and change nothing."""
        for item in items:
            if self.no_act:
                self.progress("would " + would(item))
            else:
                act(item)

    def warn(self, message: str) -> None:
        print(f"{self.command}: warning: {message}", file=sys.stderr, flush=True)


def _selection_action(state: _State, control: SourceControl, kind: str):
    class Select(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            state.any_selection = True
            if kind == "package":
                if values not in control.names():
                    raise OptionError(f"{option_string} {values}: no such package in debian/control")
                if values in buildable_packages(control):
                    state.packages.append(values)
            else:
                state.packages.extend(buildable_packages(control, kind))

    return Select


def _build_parser(command: str, state: _State, control: SourceControl) -> _Parser:
    parser = _Parser(prog=command, add_help=False, allow_abbrev=False)
    parser.add_argument("-a", "--arch", nargs=0, action=_selection_action(state, control, "arch"))
    parser.add_argument("-i", "--indep", nargs=0, action=_selection_action(state, control, "indep"))
    parser.add_argument("-p", "--package", action=_selection_action(state, control, "package"))

    class Exclude(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            if values not in control.names():
                raise OptionError(f"{option_string} {values}: no such package in debian/control")
            state.excluded.add(values)

    class Flag(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            setattr(state, self.dest, True)

    class Value(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            setattr(state, self.dest, values)

    class Override(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            state.overrides[CONFIG_OPTIONS[self.option_strings[-1]]] = values

    parser.add_argument("-N", "--no-package", action=Exclude)
    parser.add_argument("-v", "--verbose", dest="verbose", nargs=0, action=Flag)
    parser.add_argument("--no-act", dest="no_act", nargs=0, action=Flag)
    parser.add_argument("--remaining-packages", dest="remaining", nargs=0, action=Flag)
    parser.add_argument("-P", "--tmpdir", dest="tmpdir", action=Value)
    parser.add_argument("-O", dest="forwarded", action="append", default=[])
    for option in CONFIG_OPTIONS:
        parser.add_argument(option, action=Override)
    parser.add_argument("positional", nargs="*")
    return parser


def _parse(command: str, control: SourceControl, state: _State, args: list[str]) -> None:
    """Parse args into state; -O values are applied only when they parse."""
    namespace = _build_parser(command, state, control).parse_args(args)
    state.positional.extend(namespace.positional)
    for forwarded in namespace.forwarded:
        trial = _State()
        try:
            _parse(command, control, trial, [forwarded])
        except OptionError:
            continue
        if not trial.positional:
            _parse(command, control, state, [forwarded])


def _logged(package: str, command: str) -> bool:
    """True when dh's log for the package records that the command already ran."""
    try:
        with open(f"debian/{package}.debhelper.log", encoding="utf-8") as fd:
            return command in (line.strip() for line in fd)
    except OSError:
        return False


def parse_invocation(command: str, argv: list[str], environ: dict[str, str] | None = None) -> Invocation:
    """Apply the debhelper contract to argv and the environment."""
    env = os.environ if environ is None else environ
    control = read_control()
    state = _State()

    internal = env.get("DH_INTERNAL_OPTIONS")
    if internal:
        _parse(command, control, state, [a for a in internal.split("\x1e") if a])
        if state.any_selection:
            state.excluded.update(p for p in control.names() if p not in state.packages)
        state.packages, state.any_selection = [], False

    if env.get("DH_OPTIONS", "").strip():
        try:
            _parse(command, control, state, env["DH_OPTIONS"].split())
        except OptionError as exc:
            print(f"{command}: warning: ignored unknown options in DH_OPTIONS ({exc})", file=sys.stderr)

    try:
        _parse(command, control, state, argv)
    except OptionError as exc:
        raise PyrpathError(f"{exc}; see {command}(1)") from None
    if state.positional:
        raise PyrpathError(f"unexpected argument {state.positional[0]!r}; see {command}(1)")

    packages = state.packages if state.any_selection else buildable_packages(control)
    chosen: list[str] = []
    for package in packages:
        if package in state.excluded or package in chosen:
            continue
        if state.remaining and _logged(package, command):
            continue
        chosen.append(package)

    build = BuildOptions.from_env(env.get("DEB_BUILD_OPTIONS", ""))
    verbose = state.verbose or env.get("DH_VERBOSE", "") not in ("", "0")
    quiet = (env.get("DH_QUIET", "") not in ("", "0") or build.terse) and not verbose
    if state.tmpdir and len(chosen) > 1:
        raise PyrpathError(f"-P/--tmpdir {state.tmpdir} names one tree but {len(chosen)} packages are selected; add -p")
    return Invocation(
        command=command,
        control=control,
        packages=tuple(chosen),
        overrides=dict(state.overrides),
        tmpdir_option=state.tmpdir,
        verbose=verbose,
        quiet=quiet,
        no_act=state.no_act,
        build=build,
    )


def record_in_log(invocation: Invocation, environ: dict[str, str] | None = None) -> None:
    """Inside an override target, log the command so --remaining-packages works."""
    env = os.environ if environ is None else environ
    if invocation.no_act or not env.get("DH_INTERNAL_OVERRIDE"):
        return
    for package in invocation.packages:
        with open(f"debian/{package}.debhelper.log", "a", encoding="utf-8") as fd:
            fd.write(invocation.command + "\n")

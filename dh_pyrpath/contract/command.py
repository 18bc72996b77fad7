"""Run a dh_pyrpath_* command: parse the contract, run its steps, report errors once."""

from __future__ import annotations

import sys
from typing import Callable, NoReturn

from dh_pyrpath.contract import runner
from dh_pyrpath.contract.invocation import CONFIG_OPTIONS, Invocation, parse_invocation, record_in_log
from dh_pyrpath.errors import PyrpathError

EXIT_ERROR = 255  # what debhelper's error() exits with

_USAGE = """\
Usage: {command} [debhelper options] [configuration options]

{summary}

debhelper options:
  -a, --arch             act on architecture-dependent packages
  -i, --indep            act on architecture-independent packages
  -p, --package=PKG      act on PKG (may be repeated)
  -N, --no-package=PKG   do not act on PKG
  --remaining-packages   skip packages this command already ran for
  -P, --tmpdir=DIR       use DIR as the package build tree
  -v, --verbose          show the commands that change debian/
  --no-act               do nothing, say what would be done
  -O=OPTION              apply OPTION if this command knows it (dh uses this)

configuration options (override debian/<pkg>.pyrpath):
{fields}

See {command}(1).
"""


def usage(command: str, summary: str) -> str:
    fields = "\n".join(f"  {opt}=VALUE{' ' * (24 - len(opt))}{field}" for opt, field in CONFIG_OPTIONS.items())
    return _USAGE.format(command=command, summary=summary, fields=fields)


def run(command: str, summary: str, steps: Callable[[Invocation], None], argv: list[str] | None = None) -> NoReturn:
    """Parse argv per debhelper's contract, run steps, exit like a debhelper command."""
    args = sys.argv[1:] if argv is None else argv
    if "-h" in args or "--help" in args:
        print(usage(command, summary), end="")
        sys.exit(0)

    def act() -> None:
        invocation = parse_invocation(command, args)
        runner.configure(invocation.verbose, invocation.no_act)
        steps(invocation)
        record_in_log(invocation)

    guarded(command, act)


def guarded(command: str, action: Callable[[], None]) -> NoReturn:
    """Run action; report our errors, OS errors and ^C as one error line, like debhelper."""
    try:
        action()
    except PyrpathError as exc:
        fail(command, str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(command, f"{where}{exc.strerror or exc}; check free space and permissions")
    except KeyboardInterrupt:
        fail(command, "interrupted")
    sys.exit(0)


def fail(command: str, message: str) -> NoReturn:
    sys.stdout.flush()
    print(f"{command}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_ERROR)

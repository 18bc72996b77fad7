"""The one way a command runs another program: Dh_Lib's doit, with the output in the step's log.

A command that changes something is echoed with -v (a tab, then the
command), not run under --no-act, its output appended to the step's log
(and shown too with -v), and when it fails there is one error line: what
failed and where the whole log is, after the log's last lines for context.
A command that only reads (readelf, dpkg-query, tar -t) passes
`reads=True`: it runs under --no-act too and is not echoed.  Every
subprocess of dh-pyrpath goes through run() or run_pipeline().

contract.command.run() sets the -v/--no-act state once per process from
the invocation, as Dh_Lib's init() does for %dh.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from typing import Callable

from dh_pyrpath.errors import PyrpathError

TAIL_LINES = 15


@dataclass
class _State:
    verbose: bool = False
    no_act: bool = False


_state = _State()


def configure(verbose: bool, no_act: bool) -> None:
    """Apply the invocation's -v and --no-act to every later run (contract.command does it)."""
    _state.verbose, _state.no_act = verbose, no_act


@dataclass(frozen=True)
class Ran:
    """What one run gave: its exit status, its output (stdout, then stderr) and, kept apart, its stderr."""

    status: int
    raw: bytes
    raw_errors: bytes = b""

    @property
    def output(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def errors(self) -> str:
        """stderr, when the run kept it apart (stderr_apart=True)."""
        return self.raw_errors.decode(errors="replace")

    @property
    def ok(self) -> bool:
        return self.status == 0


Explain = Callable[[str], "str | None"]


def run(argv: list[str], what: str, *, log: str | None = None, cwd: str | None = None,
        env: dict[str, str] | None = None, input: str | None = None, reads: bool = False, check: bool = True,
        explain: Explain | None = None, timeout: float | None = None, stderr_apart: bool = False) -> Ran:
    """Run argv (see the module's docstring); with check, a non-zero status raises PyrpathError.

    explain gives the error line for an output it recognises (None: the
    generic one); the log's path is added to it.  stderr_apart keeps
    stderr out of the output (a program whose stdout is JSON).
    """
    if stderr_apart:
        return _run_apart(argv, what, cwd=cwd, env=env, input=input, reads=reads, check=check, explain=explain,
                          timeout=timeout)
    return run_pipeline([argv], what, log=log, cwd=cwd, env=env, input=input, reads=reads, check=check,
                        explain=explain, timeout=timeout)


def _run_apart(argv: list[str], what: str, *, cwd: str | None, env: dict[str, str] | None, input: str | None,
               reads: bool, check: bool, explain: Explain | None, timeout: float | None) -> Ran:
    if _skipped(shlex.join(argv), reads):
        return Ran(0, b"")
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=timeout,
                              input=input.encode() if input is not None else None,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except OSError as exc:
        raise _cannot_run(what, argv[0], exc) from None
    except subprocess.TimeoutExpired:
        raise _too_slow(what, timeout) from None
    ran = Ran(done.returncode, done.stdout, done.stderr)
    if check and not ran.ok:
        raise PyrpathError(failure(Ran(ran.status, ran.raw + ran.raw_errors), what, None, explain))
    return ran


def run_pipeline(argvs: list[list[str]], what: str, *, log: str | None = None, cwd: str | None = None,
                 env: dict[str, str] | None = None, input: str | None = None, reads: bool = False,
                 check: bool = True, explain: Explain | None = None, timeout: float | None = None) -> Ran:
    """Run argvs as a pipeline, each one's stdout the next one's stdin; it fails when any of them fails."""
    shown = " | ".join(shlex.join(argv) for argv in argvs)
    if _skipped(shown, reads):
        return Ran(0, b"")
    sink = _log_sink(log, shown, echo=_state.verbose and not reads) if log else None
    ran = Ran(*_execute(argvs, what, cwd, env, input, timeout, sink))
    if check and not ran.ok:
        raise PyrpathError(failure(ran, what, log, explain))
    return ran


def _skipped(shown: str, reads: bool) -> bool:
    """Echo a command that changes something under -v; True when --no-act says not to run it."""
    if reads:
        return False
    if _state.verbose:
        print("\t" + shown, flush=True)
    return _state.no_act


def _cannot_run(what: str, program: str, exc: OSError) -> PyrpathError:
    return PyrpathError(f"{what}: cannot run {program} ({exc.strerror}); install it or fix its permissions")


def _too_slow(what: str, timeout: float | None) -> PyrpathError:
    return PyrpathError(f"{what}: did not finish within {timeout:.0f} s")


def _log_sink(log: str, shown: str, echo: bool) -> Callable[[bytes], None]:
    """Where the output goes as it comes: the log (headed by the command), and stdout with -v."""
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"$ {shown}\n".encode())

    def write(chunk: bytes) -> None:
        with open(log, "ab") as out:
            out.write(chunk)
        if echo:
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    return write


def _execute(argvs: list[list[str]], what: str, cwd: str | None, env: dict[str, str] | None,
             input: str | None, timeout: float | None, sink: Callable[[bytes], None] | None) -> tuple[int, bytes]:
    """Start the pipeline; (the first non-zero status or 0, the combined output)."""
    procs: list[subprocess.Popen] = []
    try:
        for index, argv in enumerate(argvs):
            last = index == len(argvs) - 1
            stdin = procs[-1].stdout if procs else (subprocess.PIPE if input is not None else subprocess.DEVNULL)
            procs.append(subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT if last else subprocess.PIPE))
            if index and procs[-2].stdout:
                procs[-2].stdout.close()  # the next process owns it now
    except OSError as exc:
        for proc in procs:
            proc.kill()
        raise _cannot_run(what, argv[0], exc) from None
    first, last_proc = procs[0], procs[-1]
    if input is not None and first.stdin:
        first.stdin.write(input.encode())
        first.stdin.close()
    chunks: list[bytes] = []
    try:
        if timeout is not None:
            out, _ = last_proc.communicate(timeout=timeout)
            chunks.append(out)
        else:
            assert last_proc.stdout is not None
            for chunk in iter(lambda: last_proc.stdout.read1(1 << 16), b""):
                chunks.append(chunk)
                if sink:
                    sink(chunk)
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
        raise _too_slow(what, timeout) from None
    errors = b"".join(proc.stderr.read() for proc in procs[:-1] if proc.stderr)
    if errors and sink:
        sink(errors)
    statuses = [proc.wait() for proc in procs]
    status = next((s for s in statuses if s != 0), 0)
    return status, b"".join(chunks) + errors


def failure(ran: Ran, what: str, log: str | None, explain: Explain | None = None) -> str:
    """The one error line of a failed run (the log's tail goes to stderr first)."""
    reason = explain(ran.output) if explain else None
    if log:
        show_tail(log)
        return f"{reason}; log: {log}" if reason else f"{what} failed (exit status {ran.status}); full log: {log}"
    if reason:
        return reason
    last = (ran.output.strip().splitlines() or [f"exit status {ran.status}"])[-1].strip()
    return f"{what} failed ({last})"


def show_tail(log: str, lines: int = TAIL_LINES) -> None:
    """Print the last lines of a log to stderr, indented."""
    try:
        with open(log, encoding="utf-8", errors="replace") as fd:
            tail = deque(fd, maxlen=lines)
    except OSError:
        return
    for line in tail:
        print("  | " + line.rstrip("\n"), file=sys.stderr)
    sys.stderr.flush()

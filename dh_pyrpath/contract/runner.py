"""Run long build steps with their output in a log file, not on the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque

from dh_pyrpath.errors import PyrpathError

TAIL_LINES = 15


def run_logged(argv: list[str], log: str, what: str, *, cwd: str | None = None,
               env: dict[str, str] | None = None, echo: bool = False) -> None:
    """Run argv appending its output to log; on failure show the tail and raise.

    The error line says what failed and where the whole log is; the last
    lines of the log go to stderr just before it, for context.
    """
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    with open(log, "ab") as out:
        out.write(("$ " + " ".join(argv) + "\n").encode())
        out.flush()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise PyrpathError(f"{what}: cannot run {argv[0]} ({exc.strerror}); install it or fix its permissions") from None
        assert proc.stdout is not None
        for chunk in proc.stdout:
            out.write(chunk)
            if echo:
                sys.stdout.buffer.write(chunk)
        code = proc.wait()
    if code != 0:
        show_tail(log)
        raise PyrpathError(f"{what} failed (exit status {code}); full log: {log}")


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

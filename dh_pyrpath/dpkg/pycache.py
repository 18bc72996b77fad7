"""Install-time bytecode: the program postinst and prerm run with the prefix's own interpreter.

It reads the package's file list (dpkg-query -L) on standard input and
works on the package's own .py files under the prefix only, never on a
walk of the prefix: another package may live below it.  `compile` writes
their .pyc with every core and says in one line what did not compile;
`clean` removes their .pyc (every optimisation level) and the __pycache__
directories that became empty.  It never fails for a file.
"""

from __future__ import annotations

import shlex

# Run as <python> -I -c PROGRAM compile|clean <prefix> <package>; Python 3.9 and later; no single quote.
PROGRAM = """\
import compileall, concurrent.futures, functools, importlib.util, os, sys
action, prefix, package = sys.argv[1:4]
names = {line.rstrip("\\n") for line in sys.stdin}
sources = sorted(n for n in names if n.startswith(prefix + "/") and n.endswith(".py") and os.path.isfile(n))
if action == "compile":
    compile_one = functools.partial(compileall.compile_file, quiet=2)
    try:
        with concurrent.futures.ProcessPoolExecutor() as pool:
            done = list(pool.map(compile_one, sources, chunksize=32))
    except (OSError, concurrent.futures.BrokenExecutor):
        done = [compile_one(source) for source in sources]
    failed = [source for source, ok in zip(sources, done) if not ok]
    if failed:
        print(f"{package}: {len(failed)} of {len(sources)} files did not byte-compile and run from source, "
              f"e.g. {failed[0]}", file=sys.stderr)
elif action == "clean":
    directories = set()
    for source in sources:
        for level in ("", 1, 2):
            cached = importlib.util.cache_from_source(source, optimization=level)
            directories.add(os.path.dirname(cached))
            try:
                os.unlink(cached)
            except FileNotFoundError:
                pass
    for directory in sorted(directories, reverse=True):
        try:
            os.rmdir(directory)
        except OSError:
            pass
"""


def command(python: str, action: str, prefix: str, package: str) -> str:
    """The shell pipeline that runs PROGRAM on the package's file list."""
    run = shlex.join([python, "-I", "-c", PROGRAM, action, prefix, package])
    return f"dpkg-query -L {shlex.quote(package)} | {run}"

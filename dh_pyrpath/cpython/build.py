"""Configure, compile and install CPython for one prefix, and check what it built."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Callable

from dh_pyrpath.contract.invocation import BuildOptions
from dh_pyrpath.contract.runner import run
from dh_pyrpath.cpython.flags import core_flags
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.staging import StagedTree, interpreter_env

# stdlib extension modules a service may need, and the -dev package each needs.
REQUIRED_MODULES = {
    "_ssl": "libssl-dev",
    "_hashlib": "libssl-dev",
    "_ctypes": "libffi-dev",
    "_sqlite3": "libsqlite3-dev",
    "_lzma": "liblzma-dev",
    "_bz2": "libbz2-dev",
    "zlib": "zlib1g-dev",
    "readline": "libreadline-dev",
    "_curses": "libncurses-dev",
    "_dbm": "libgdbm-compat-dev",
    "_uuid": "uuid-dev",
    "_decimal": "libmpdec-dev (or CPython's bundled copy)",
    "pyexpat": "libexpat1-dev",
    "_elementtree": "libexpat1-dev",
}
# Optional modules configure builds when their -dev package happens to be installed
# (_tkinter, nis, system libmpdec, libb2 for _blake2): part of what a build is.
OPTIONAL_DEV_PACKAGES = {"tk-dev", "tcl-dev", "libnsl-dev", "libtirpc-dev", "libmpdec-dev", "libb2-dev"}
# What the cache key records about the libraries the build links against.
DEV_PACKAGES = sorted({p.split()[0] for p in REQUIRED_MODULES.values()} | {"libgdbm-dev", "libc6-dev"}
                      | OPTIONAL_DEV_PACKAGES)


def effective_optimize(wanted: str, build: BuildOptions) -> str:
    """The Optimize level after DEB_BUILD_OPTIONS: noopt means none, nopgo and nolto drop their part."""
    if build.noopt:
        return "none"
    parts = [p for p in wanted.split("+") if p in ("pgo", "lto")]
    parts = [p for p in parts if not (p == "pgo" and build.nopgo) and not (p == "lto" and build.nolto)]
    return "+".join(parts) or "none"


def is_static_interpreter(version: tuple[int, ...]) -> bool:
    """bin/python3.X has the interpreter core linked in (3.11+); older ones load libpython."""
    return tuple(version[:2]) >= (3, 11)


@dataclass(frozen=True)
class BuildRequest:
    """Everything that decides what a CPython build produces (the cache key's inputs)."""

    source_sha256: str
    version: tuple[int, int, int]
    prefix: str
    configure_options: tuple[str, ...]
    build: BuildOptions
    optimize: str = "none"

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def configure_args(self) -> list[str]:
        # Debian's libexpat gets security updates; a bundled copy would not.
        args = [f"--prefix={self.prefix}", "--enable-shared", "--with-ensurepip=install", "--with-system-expat"]
        if self.version[:2] >= (3, 10):
            args.append("--without-static-libpython")
        level = effective_optimize(self.optimize, self.build)
        if "pgo" in level:
            args.append("--enable-optimizations")  # its training run ignores failing tests ("|| true")
        if "lto" in level:
            args.append("--with-lto")
        return args + list(self.configure_options)

    @property
    def static_interpreter(self) -> bool:
        return is_static_interpreter(self.version)

    def make_variables(self) -> list[str]:
        """Make overrides for both make runs: link bin/python3.X from the objects libpython is made of.

        As Debian's /usr/bin/python3.X and python-build-standalone's: calls
        into the core are direct, thread state is not reached through
        __tls_get_addr.  configure stays --enable-shared (the objects are
        PIC), so lib/libpython3.X.so is still built and installed for
        programs that embed Python; LINKFORSHARED keeps -export-dynamic, so
        extension modules resolve their Py* symbols against the executable.
        CPython 3.11 introduced these two variables (configure.ac sets them
        this way for a --disable-shared build).
        """
        if not self.static_interpreter:
            return []
        return ["LINK_PYTHON_DEPS=$(LIBRARY_DEPS) $(LIBRARY_OBJS)", "LINK_PYTHON_OBJS=$(LIBRARY_OBJS)"]


def clean_env() -> dict[str, str]:
    """The environment for configure/make: no flags or paths inherited from dh."""
    env = {k: v for k, v in interpreter_env().items()
           if k not in ("CFLAGS", "CPPFLAGS", "CXXFLAGS", "LDFLAGS", "MAKEFLAGS", "MFLAGS")}
    env["LC_ALL"] = "C.UTF-8"
    return env


def source_epoch(src: str) -> str:
    """The CPython source's own date (Include/patchlevel.h), for the build date it records.

    Not the package's SOURCE_DATE_EPOCH: a cached build serves many package
    versions, and its sys.version must not depend on which one built it.
    """
    return str(int(os.stat(os.path.join(src, "Include", "patchlevel.h")).st_mtime))


def compile_and_install(request: BuildRequest, src: str, destdir: str, log: str,
                        progress: Callable[[str], None]) -> None:
    """./configure, make -jN, make install DESTDIR=destdir, each step logged."""
    flags = core_flags(src, request.build)
    env = clean_env()
    env["SOURCE_DATE_EPOCH"] = source_epoch(src)
    level = effective_optimize(request.optimize, request.build)
    if level != "none":
        progress(f"optimize: {level} (DEB_BUILD_OPTIONS noopt, nopgo, nolto lower it)")
    configure = ["./configure", *request.configure_args(),
                 f"CFLAGS_NODIST={flags.cflags_nodist}", f"LDFLAGS_NODIST={flags.ldflags_nodist}"]
    progress(f"configure CPython {'.'.join(map(str, request.version))} (relocatable, --prefix={request.prefix})")
    run(configure, "CPython configure", log=log, cwd=src, env=env)
    progress(f"make -j{request.build.parallel} (log: {log})")
    variables = request.make_variables()
    run(["make", f"-j{request.build.parallel}", *variables], "CPython make", log=log, cwd=src, env=env)
    progress("make install")
    run(["make", "install", f"DESTDIR={os.path.abspath(destdir)}", *variables], "CPython make install", log=log,
        cwd=src, env=env)


def scrub_build_paths(destdir: str, prefix: str, short_version: str, build_dir: str) -> list[str]:
    """Remove the build directory from the files CPython records it in.

    _sysconfigdata_*.py and config-*/Makefile keep the configure arguments
    and source paths; path-mapping flags are dropped and any other mention
    of the build directory becomes the installed config directory.
    Returns the files changed.
    """
    libdir = os.path.join(destdir + prefix, "lib", f"python{short_version}")
    targets = [os.path.join(libdir, n) for n in os.listdir(libdir) if n.startswith("_sysconfigdata")]
    targets += [os.path.join(libdir, n, "Makefile") for n in os.listdir(libdir) if n.startswith("config-")]
    configdir = next((os.path.join(prefix, "lib", f"python{short_version}", n)
                      for n in os.listdir(libdir) if n.startswith("config-")), prefix)
    mapping = re.compile(r"\s?-f(?:file|debug|macro)-prefix-map=" + re.escape(build_dir) + r"=\.")
    changed = []
    for path in targets:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fd:
            text = fd.read()
        new = mapping.sub("", text).replace(build_dir, configdir)
        if new != text:
            with open(path, "w", encoding="utf-8") as fd:
                fd.write(new)
            changed.append(path)
    return changed


_CHECK = """
import importlib, json, os, sys
missing, files = [], {}
for name in sys.argv[1:]:
    try:
        files[name] = getattr(importlib.import_module(name), "__file__", None)
    except ImportError as exc:
        missing.append([name, str(exc)])
maps = [l.split()[-1] for l in open('/proc/self/maps') if 'libpython' in l]
print(json.dumps({"missing": missing, "libpython": sorted(set(maps)), "prefix": sys.prefix,
                  "files": {"os": os.__file__, **{n: f for n, f in files.items() if f}}}))
"""


def check_staged(tree: StagedTree, static: bool) -> None:
    """Fail unless every required module imports, and the interpreter runs the staged tree only.

    A static interpreter (3.11+) maps no libpython at all; an older one maps
    the staged libpython.  Either way sys.prefix is the staged prefix and
    os.py and the extension modules (lib-dynload) load from under it, so
    neither the system's libpython nor its stdlib can stand in.
    """
    python, staged_prefix = tree.python, tree.root
    result = run([python, "-I", "-c", _CHECK, *REQUIRED_MODULES], f"the staged interpreter {python}", reads=True,
                 env=tree.env(), stderr_apart=True,
                 explain=lambda output: f"the staged interpreter {python} does not run "
                                                          f"({_last_line(output)}); see the build log")
    report = json.loads(result.raw)
    if report["missing"]:
        needs: dict[str, list[str]] = {}
        for name, _ in report["missing"]:
            needs.setdefault(REQUIRED_MODULES[name], []).append(name)
        detail = "; ".join(f"{', '.join(mods)} (needs {pkg})" for pkg, mods in sorted(needs.items()))
        raise PyrpathError(f"stdlib modules did not build: {detail}; add the -dev packages to Build-Depends")
    check_libpython(report["libpython"], staged_prefix, static)
    check_stdlib(report, staged_prefix)


def check_libpython(mapped: list[str], staged_prefix: str, static: bool) -> None:
    """A static interpreter maps no libpython; a shared one maps the staged one and no other."""
    if static:
        if mapped:
            raise PyrpathError(
                f"the staged interpreter maps {', '.join(mapped)}, but it is linked with the interpreter core; "
                "Configure-Options must not change how it is linked (LDFLAGS, --enable-shared)")
        return
    outside = [lib for lib in mapped if not lib.startswith(staged_prefix + "/")]
    if outside or not mapped:
        raise PyrpathError(
            f"the staged interpreter loaded {', '.join(outside) or 'no libpython'} instead of the one under "
            f"{staged_prefix}; its RUNPATH is wrong (check Configure-Options for LDFLAGS)"
        )


def check_stdlib(report: dict, staged_prefix: str) -> None:
    """sys.prefix is the staged prefix; os.py and the extension modules come from under it."""
    real = os.path.realpath(staged_prefix)
    outside = {name: path for name, path in sorted(report["files"].items())
               if not os.path.realpath(path).startswith(real + "/")}
    if os.path.realpath(report["prefix"]) != real or outside:
        found = ", ".join(f"{name} from {path}" for name, path in outside.items()) or f"sys.prefix {report['prefix']}"
        raise PyrpathError(
            f"the staged interpreter runs outside {staged_prefix} ({found}); "
            "a pyvenv.cfg or ._pth file redirects it, or its lib/pythonX.Y/os.py is missing"
        )


def _last_line(output: str) -> str:
    return (output.strip().splitlines() or ["no output"])[-1]

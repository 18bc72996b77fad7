"""The distribution's compiler flags, split the way CPython's build wants them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dh_pyrpath.contract.invocation import BuildOptions
from dh_pyrpath.contract.runner import run

# The interpreter finds libpython beside itself, wherever the tree is unpacked.
RUNPATH = "$ORIGIN/../lib"


@dataclass(frozen=True)
class CoreFlags:
    """Flags for the interpreter and stdlib only (CPython's *_NODIST variables)."""

    cflags_nodist: str
    ldflags_nodist: str


def dpkg_buildflags(name: str, cwd: str | None = None) -> str:
    """One dpkg-buildflags value; hardening defaults to +all unless the maintainer chose.

    Run in the directory being compiled, so that dpkg's own path mapping
    (-ffile-prefix-map=<cwd>=.) maps that directory.
    """
    env = dict(os.environ)
    maint = env.get("DEB_BUILD_MAINT_OPTIONS", "")
    if "hardening" not in maint:
        env["DEB_BUILD_MAINT_OPTIONS"] = (maint + " hardening=+all").strip()
    for variable in ("CFLAGS", "CPPFLAGS", "LDFLAGS", "CXXFLAGS"):
        env.pop(variable, None)
    return run(["dpkg-buildflags", "--get", name], "dpkg-buildflags", reads=True, env=env, cwd=cwd, stderr_apart=True,
               explain=lambda output: "dpkg-buildflags failed; install dpkg-dev").output.strip()


def core_flags(build_dir: str, options: BuildOptions) -> CoreFlags:
    """Hardening and path-mapping flags for the CPython core, never recorded for extensions.

    CPython picks its own -O level; dpkg's -O2 would lower it, so it is
    dropped, except that DEB_BUILD_OPTIONS=noopt asks for -O0.  The RUNPATH
    is written for make, which hands it to the shell: `\\$$ORIGIN` reaches
    the linker as `$ORIGIN`.
    """
    words = [w for w in dpkg_buildflags("CFLAGS", build_dir).split() if not w.startswith("-O")]
    words += dpkg_buildflags("CPPFLAGS", build_dir).split()
    mapping = f"-ffile-prefix-map={build_dir}=."
    if mapping not in words:
        words.append(mapping)
    if options.noopt:
        words.append("-O0")
    # libpython's own calls need not go through the PLT: the interpreter is not interposed.
    words.append("-fno-semantic-interposition")
    ldflags = dpkg_buildflags("LDFLAGS", build_dir).split()
    # With LTO the debug information is written at link time, its DW_AT_comp_dir the build directory,
    # unless the link is given the mapping too (Optimize: lto, pgo+lto); without LTO it changes nothing.
    if mapping not in ldflags:
        ldflags.append(mapping)
    ldflags.append("-fno-semantic-interposition")
    ldflags.append("-Wl,-rpath," + RUNPATH.replace("$", "\\$$"))
    return CoreFlags(" ".join(words), " ".join(ldflags))


def key_flags(options: BuildOptions) -> dict[str, str]:
    """The distribution flags as they decide a build, for the cache key (no paths)."""
    flags = {}
    for name in ("CFLAGS", "CPPFLAGS", "LDFLAGS"):
        words = dpkg_buildflags(name, "/").split()
        flags[name] = " ".join(w for w in words if "-prefix-map=" not in w)
    flags["noopt"] = str(options.noopt)
    return flags

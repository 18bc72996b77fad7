"""Build a runtime package: its source tree is CPython's, its binary package a cache entry's contents.

A debian/<pkg>.pyrpath with `Runtime: debian:python3.X (= V)` (pyrpath
runtime init writes it) makes dh_pyrpath_buildpython compile the source
tree it is in, relocatable (configured for BUILD_PREFIX, exactly as a
cache entry's build), and dh_pyrpath_install ship that tree under
/usr/lib/pyrpath/<pkg>/ with the manifest and build record a cache entry
has.  No relocation, no slimming (each service slims its copy), no
bytecode (each service compiles its own), no maintainer script.  The
sequence add-on keeps dh_strip, dh_dwz, dh_fixperms and
dh_strip_nondeterminism off that directory, so that the installed tree is
the one the manifest describes: each service's own dh_strip strips its
copy and puts the debug symbols in its -dbgsym, as when it compiles.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime, timezone

from dh_pyrpath import __version__
from dh_pyrpath.audit.buildpath import files_containing
from dh_pyrpath.config import PackageConfig, runtime_origin
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.cpython.build import (BuildRequest, check_staged, compile_and_install, effective_optimize,
                                      scrub_build_paths)
from dh_pyrpath.cpython.cache.entries import MANIFEST, RECORD, TREE, cache_key, cache_root, obtain
from dh_pyrpath.cpython.cache.manifest import write_manifest
from dh_pyrpath.cpython.compiledeps import compile_needs, missing_packages
from dh_pyrpath.cpython.flags import key_flags
from dh_pyrpath.cpython.relocate import BUILD_PREFIX
from dh_pyrpath.cpython.runtime import RUNTIME_ROOT
from dh_pyrpath.cpython.source import PythonSource, read_version
from dh_pyrpath.dpkg.lintian import install_overrides
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.hashing import sha256_tree
from dh_pyrpath.staging import StagedTree, stage_dir, state_dir
from dh_pyrpath.tree.filetimes import set_times, source_date_epoch
from dh_pyrpath.trees import BYTECODE, copy_tree, remove_tree

BUILT = "runtime.json"             # in the state directory: what the build target built, for the binary target
NOT_SOURCE = ("debian", ".pc", ".git")   # top-level entries of the source tree that are not CPython's


def tree_digest(root: str = ".") -> str:
    """sha256 over the source tree's names, x bits and contents, debian/ and quilt's .pc/ left out."""
    return sha256_tree(root, leave_out=NOT_SOURCE)


def tree_source(config: PackageConfig) -> PythonSource:
    """The CPython source a runtime package builds: the source tree itself."""
    if not (os.path.isfile("configure") and os.path.isfile(os.path.join("Include", "patchlevel.h"))):
        raise config.error("Runtime", "the source tree holds no CPython source (configure, Include/patchlevel.h); "
                                      "a runtime package's orig tarball is CPython's: make it with pyrpath runtime init")
    package, version = runtime_origin(config.runtime or "")
    return PythonSource(os.path.abspath("."), tree_digest("."), True, f"debian:{package} (= {version})")


def copy_source(into: str) -> str:
    """A copy of the CPython source to build in (the tree itself stays as dpkg-source unpacked it)."""
    os.makedirs(into)
    for name in sorted(os.listdir(".")):
        if name in NOT_SOURCE:
            continue
        target = os.path.join(into, name)
        if os.path.isdir(name) and not os.path.islink(name):
            shutil.copytree(name, target, symlinks=True)
        else:
            shutil.copy2(name, target, follow_symlinks=False)
    return into


def compile_runtime(invocation: Invocation, config: PackageConfig, request: BuildRequest, work: str, log: str) -> None:
    """Compile and install into work/tree, checked; as dh_pyrpath_buildpython builds for the cache."""
    needs = compile_needs(missing_packages())
    if needs:
        raise config.error("Runtime", needs)
    started = time.monotonic()
    src = copy_source(os.path.join(work, "src"))
    tree = os.path.join(work, TREE)
    compile_and_install(request, src, tree, log, invocation.progress)
    scrub_build_paths(tree, request.prefix, request.short_version, src)
    invocation.progress("check stdlib extension modules")
    check_staged(StagedTree(config.package, tree, request.prefix, ".".join(map(str, request.version)), (src,)),
                 request.static_interpreter)
    remove_tree(src)
    invocation.progress(f"built CPython {'.'.join(map(str, request.version))} in {time.monotonic() - started:.0f} s")


def build(invocation: Invocation, config: PackageConfig, log: str) -> dict:
    """Build target: compile the tree (or reuse the cache's build of it) into the stage; return what was built."""
    source = tree_source(config)
    with config.naming_fields():
        version = read_version(source)
    request = BuildRequest(source.sha256, version, BUILD_PREFIX, config.configure_options, invocation.build,
                           config.optimize)
    root = cache_root()
    if root is None:
        work = os.path.abspath(os.path.join(state_dir(config.package), "cpython"))
        remove_tree(work)
        compile_runtime(invocation, config, request, work, log)
        tree, build_dir, key = os.path.join(work, TREE), os.path.join(work, "src"), None
    else:
        key = cache_key(request, key_flags(invocation.build))
        obtained = obtain(root, key, request, lambda work: compile_runtime(invocation, config, request, work, log),
                          invocation.progress, invocation.warn)
        if obtained.reused:
            invocation.progress(f"reusing cached CPython {'.'.join(map(str, version))} ({key})")
        tree = obtained.tree
        with open(os.path.join(os.path.dirname(tree), RECORD), encoding="utf-8") as fd:
            build_dir = json.load(fd)["build_dir"]
    staged = stage_dir(config.package)
    remove_tree(staged)
    copy_tree(tree, staged, exclude=BYTECODE)  # the runtime ships no bytecode: each service compiles its own
    package, debian_version = runtime_origin(config.runtime or "")
    built = {"key": key, "version": ".".join(map(str, version)), "source_sha256": source.sha256,
             "build_dir": build_dir, "runtime": {
                 "name": config.package, "origin": f"debian:{package}", "debian_source_version": debian_version,
                 "optimize": effective_optimize(config.optimize, invocation.build),
                 "configure_args": request.configure_args()}}
    with open(os.path.join(state_dir(config.package), BUILT), "w", encoding="utf-8") as fd:
        json.dump(built, fd, indent=1, sort_keys=True)
    return built


def load_built(package: str, command: str) -> dict:
    path = os.path.join(state_dir(package), BUILT)
    try:
        with open(path, encoding="utf-8") as fd:
            return json.load(fd)
    except (OSError, ValueError):
        raise PyrpathError(f"{package}: no built runtime ({path} missing); run dh_pyrpath_buildpython before "
                           f"{command}") from None


def entry_record(built: dict) -> dict:
    """entry.json of the installed runtime: a cache entry's record (no build path), plus where it came from."""
    epoch = source_date_epoch()
    when = datetime.fromtimestamp(epoch if epoch is not None else time.time(), timezone.utc)
    return {"key": built["key"], "prefix": BUILD_PREFIX, "version": built["version"],
            "source_sha256": built["source_sha256"], "dh_pyrpath": __version__,
            "built": when.isoformat(timespec="seconds"), "runtime": built["runtime"]}


# What lintian says of a tree shipped as a cache entry holds it, and why that is right for a runtime package.
OVERRIDES = (
    ("unstripped-binary-or-object", "{dir}/tree/*",
     "each service that copies this tree strips its copy (its dh_strip) and ships the debug symbols in its "
     "-dbgsym; the manifest describes the tree as built"),
    ("library-not-linked-against-libc", "{dir}/tree/*/lib-dynload/*",
     "CPython extension modules are loaded into the interpreter, which provides libc"),
    ("shared-library-lacks-prerequisites", "{dir}/tree/*/lib-dynload/*",
     "CPython extension modules that need no library of their own: the interpreter provides libc and libpython"),
    ("embedded-library", "expat {dir}/tree/*/lib-dynload/pyexpat.*",
     "pyexpat links Debian's libexpat.so.1 (--with-system-expat); lintian matches its error-message table"),
    ("shared-library-is-executable", "* {dir}/tree/*",
     "the modes CPython's make install gives its libraries, which the manifest records; each service's "
     "dh_fixperms sets its copy's"),
    ("python3-script-but-no-python3-dep", "* {dir}/tree/*",
     "this tree is never run where it is installed: each service rewrites these #! lines to its own "
     "interpreter in its copy (dh_pyrpath_install)"),
    ("unusual-interpreter", "* {dir}/tree/*",
     "#! lines as CPython installs them for the placeholder prefix; each service rewrites them in its copy"),
    ("interpreter-in-usr-local", "* {dir}/tree/*",
     "a #! line of the standard library as CPython ships it; each service rewrites it in its copy"),
    ("executable-not-elf-or-script", "{dir}/tree/*/test/*",
     "CPython's test suite as make install writes it; services drop it (Slim: tests)"),
    ("national-encoding", "{dir}/tree/*/test/*",
     "data of CPython's test suite, in the encodings it tests; services drop it (Slim: tests)"),
    ("privacy-breach-generic", "* {dir}/tree/*/test/*",
     "an HTML parser test input of CPython's test suite, never displayed; services drop it (Slim: tests)"),
)


def override_lines(package: str) -> list[str]:
    directory = os.path.join(RUNTIME_ROOT, package).lstrip("/")
    lines = []
    for tag, pattern, reason in OVERRIDES:
        words = pattern.format(dir=directory).split()
        lines += [f"# {reason}", f"{package}: {tag} {' '.join(words[:-1] + [f'[{words[-1]}]'])}"]
    return lines


def place(invocation: Invocation, config: PackageConfig, destdir: str, command: str) -> str:
    """Binary target: /usr/lib/pyrpath/<pkg>/{tree,manifest.json,entry.json} in the package tree; return its path."""
    built = load_built(config.package, command)
    target = os.path.join(destdir, RUNTIME_ROOT.lstrip("/"), config.package)
    remove_tree(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        copy_tree(stage_dir(config.package), os.path.join(target, TREE), exclude=BYTECODE)
        leaks = files_containing(os.path.join(target, TREE), [built["build_dir"], os.getcwd()])
        if leaks:
            shown = ", ".join(f"{os.path.relpath(path, destdir)} ({found})" for path, found in leaks[:3])
            raise PyrpathError(f"{len(leaks)} file(s) of the runtime tree name a build directory: {shown}; "
                               "please report it")
        epoch = source_date_epoch()
        if epoch is not None:
            set_times(os.path.join(target, TREE), epoch)
        write_manifest(os.path.join(target, TREE), os.path.join(target, MANIFEST))
        with open(os.path.join(target, RECORD), "w", encoding="utf-8") as fd:
            json.dump(entry_record(built), fd, indent=1, sort_keys=True)
            fd.write("\n")
        if epoch is not None:
            set_times(target, epoch)
    except BaseException:
        remove_tree(target)
        raise
    install_overrides(invocation, config.package, destdir, override_lines(config.package))
    return target

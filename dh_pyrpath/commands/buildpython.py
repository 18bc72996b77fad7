"""dh_pyrpath_buildpython: stage a CPython built for each package's prefix (build target)."""

from __future__ import annotations

import os
import time

from dh_pyrpath.config import PackageConfig, load_configs
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.cpython.build import (BuildRequest, check_staged, compile_and_install, is_static_interpreter,
                                      scrub_build_paths)
from dh_pyrpath.cpython.cache.entries import cache_key, cache_root, downloads_dir, entry_record, obtain
from dh_pyrpath.cpython.flags import key_flags
from dh_pyrpath.cpython.relocate import BUILD_PREFIX, relocate
from dh_pyrpath.cpython.source import PythonSource, read_version, resolve_source, unpack, vendored_source
from dh_pyrpath.sbom.inputs import record_cpython
from dh_pyrpath.staging import StagedTree, stage_dir, state_dir
from dh_pyrpath.trees import BYTECODE, copy_tree, remove_tree

COMMAND = "dh_pyrpath_buildpython"
SUMMARY = ("Build CPython for each package's prefix (or reuse a cached build) and stage it in "
           "debian/.debhelper/pyrpath/<pkg>/stage.")


def build_tree(invocation: Invocation, config: PackageConfig, source: PythonSource,
               request: BuildRequest, work: str, log: str) -> None:
    """Unpack, compile and install into work/tree; check it before anyone uses it."""
    started = time.monotonic()
    with config.naming_fields():
        src = unpack(source, os.path.join(work, "src"))
    tree = os.path.join(work, "tree")
    compile_and_install(request, src, tree, log, invocation.progress)
    scrub_build_paths(tree, request.prefix, request.short_version, src)
    invocation.progress("check stdlib extension modules")
    built = StagedTree(config.package, tree, request.prefix, ".".join(map(str, request.version)), (src,))
    check_staged(built, request.static_interpreter)
    remove_tree(src)
    invocation.progress(f"built CPython {'.'.join(map(str, request.version))} in {time.monotonic() - started:.0f} s")


def obtain_tree(invocation: Invocation, config: PackageConfig, log: str) -> tuple[str, str, str]:
    """A built tree for this package's request: (tree, build_dir, version)."""
    root = cache_root()
    downloads = downloads_dir(os.path.join(state_dir(config.package), "downloads"))
    with config.naming_fields():
        source = vendored_source(config.python_source)
        if source:
            invocation.progress(f"using {source.origin}")
        else:
            source = resolve_source(config.python_source, config.python_source_sha256, downloads, log)
        version = read_version(source)
    request = BuildRequest(source.sha256, version, BUILD_PREFIX, config.configure_options, invocation.build,
                           config.optimize)
    dotted = ".".join(map(str, version))
    if root is None:
        work = os.path.abspath(os.path.join(state_dir(config.package), "cpython"))  # make install runs in src/
        remove_tree(work)
        invocation.progress("no usable cache directory (set DH_PYRPATH_CACHE); building in the source tree")
        build_tree(invocation, config, source, request, work, log)
        record_cpython(config.package, source.origin, source.sha256, source.is_directory, source.path, request, config.prefix)
        return os.path.join(work, "tree"), os.path.join(work, "src"), dotted
    key = cache_key(request, key_flags(invocation.build))
    obtained = obtain(root, key, request, lambda work: build_tree(invocation, config, source, request, work, log),
                      invocation.progress, invocation.warn)
    record_cpython(config.package, source.origin, source.sha256, source.is_directory, source.path, request, config.prefix)
    if obtained.reused:
        invocation.progress(f"reusing cached CPython {dotted} ({key}), relocated to {config.prefix}")
    return obtained.tree, entry_record(obtained.tree)["build_dir"], dotted


def stage(tree: str, destdir: str, prefix: str) -> None:
    """Copy the built tree to the package's prefix in the stage (replacing an earlier copy).

    The copy is relocated to where it is staged, so that what compiles
    against it (pip's sdist builds, meson, CMake, uwsgi) finds real headers
    and libraries through its sysconfig; dh_pyrpath_install relocates the
    package's copy to the final prefix.  The build's bytecode (three
    optimisation levels, 160 MB of the 280 MB tree) is not copied: nothing
    ships it, and writing it was half of this step's time.
    """
    staged = os.path.abspath(destdir) + prefix
    if os.path.lexists(staged):
        remove_tree(staged)
    os.makedirs(os.path.dirname(staged), exist_ok=True)
    copy_tree(tree + BUILD_PREFIX, staged, exclude=BYTECODE)
    relocate(staged, staged)


def buildpython(invocation: Invocation) -> None:
    invocation.each(load_configs(invocation.packages, invocation.control, invocation.overrides),
                    lambda config: f"stage CPython from {config.python_source} at {stage_dir(config.package)}{config.prefix}",
                    lambda config: stage_cpython(invocation, config))


def stage_cpython(invocation: Invocation, config: PackageConfig) -> None:
    """Obtain the package's CPython (cache or compile), stage it, check it, record it for the later commands."""
    package = config.package
    destdir = stage_dir(package)
    os.makedirs(state_dir(package), exist_ok=True)
    log = os.path.join(state_dir(package), "cpython-build.log")
    if os.path.exists(log):
        os.unlink(log)
    tree, build_dir, version = obtain_tree(invocation, config, log)
    stage(tree, destdir, config.prefix)
    staged = StagedTree(package, destdir, config.prefix, version, (build_dir,))
    check_staged(staged, is_static_interpreter(tuple(map(int, version.split(".")))))
    staged.save()


def main() -> None:
    run(COMMAND, SUMMARY, buildpython)

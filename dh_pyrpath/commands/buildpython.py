"""dh_pyrpath_buildpython: stage a CPython built for each package's prefix (build target)."""

from __future__ import annotations

import os
import time

from dh_pyrpath.config import PackageConfig, load_configs, runtime_origin
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.control import host_arch
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.cpython import apt
from dh_pyrpath.cpython.build import (BuildRequest, check_staged, compile_and_install, is_static_interpreter,
                                      scrub_build_paths)
from dh_pyrpath.cpython.cache.entries import cache_key, cache_root, downloads_dir, entry_record, obtain
from dh_pyrpath.cpython.compiledeps import compile_needs, missing_packages
from dh_pyrpath.cpython.flags import key_flags
from dh_pyrpath.cpython.relocate import BUILD_PREFIX, relocate
from dh_pyrpath.cpython.runtime import InstalledRuntime, find_runtime, parse_runtime, verify
from dh_pyrpath.cpython.source import PythonSource, read_version, resolve_source, unpack, vendored_source
from dh_pyrpath.dpkg import builtusing
from dh_pyrpath.runtime import package as runtime_package
from dh_pyrpath.sbom.inputs import load_cpython, record_cpython, save_cpython
from dh_pyrpath.sbom.model import CPythonRecord
from dh_pyrpath.staging import StagedTree, stage_dir, state_dir
from dh_pyrpath.trees import BYTECODE, copy_tree, remove_tree

COMMAND = "dh_pyrpath_buildpython"
SUMMARY = ("Build CPython for each package's prefix (or reuse a cached build) and stage it in "
           "debian/.debhelper/pyrpath/<pkg>/stage.")


def build_tree(invocation: Invocation, config: PackageConfig, source: PythonSource,
               request: BuildRequest, work: str, log: str) -> None:
    """Unpack, compile and install into work/tree; check it before anyone uses it."""
    needs = compile_needs(missing_packages())
    if needs:
        raise config.error("Python-Source", needs)
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


def stage_runtime(invocation: Invocation, config: PackageConfig, destdir: str) -> InstalledRuntime:
    """Python-Source: runtime:<name>: the installed runtime's tree, verified, copied and relocated; no compile."""
    name = parse_runtime(config.python_source)
    assert name
    runtime = find_runtime(name, f"{config.path}: Python-Source", host_arch())
    verify(runtime)
    stage(runtime.tree, destdir, config.prefix)
    invocation.progress(f"using runtime {name} {runtime.source_version} (CPython {runtime.version}), "
                        f"relocated to {config.prefix}")
    built = runtime.record["runtime"]
    args = tuple(a.replace(BUILD_PREFIX, config.prefix) for a in built["configure_args"])
    save_cpython(config.package, CPythonRecord(
        runtime.version, f"{built['origin']} via runtime:{name} {runtime.source_version}", runtime.record["source_sha256"],
        True, built.get("debian_source_version"), built["optimize"], args))
    builtusing.record(config.package, runtime.static_built_using)
    return runtime


def compiled_built_using(package: str) -> str | None:
    """python3.X (= <Debian version>) when the package compiled debian:python3.X and apt said which version."""
    record = load_cpython(package, COMMAND)
    source = apt.parse_spec(record.origin.split(" ", 1)[0])
    return builtusing.relation(source, record.debian_source_version) if source and record.debian_source_version \
        else None


def buildpython(invocation: Invocation) -> None:
    invocation.each(load_configs(invocation.packages, invocation.control, invocation.overrides),
                    lambda config: f"stage CPython from {config.python_source} at {stage_dir(config.package)}{config.prefix}",
                    lambda config: stage_cpython(invocation, config))


def stage_cpython(invocation: Invocation, config: PackageConfig) -> None:
    """Obtain the package's CPython (a runtime, the cache or a compile), stage it, check it, record it."""
    package = config.package
    destdir = stage_dir(package)
    os.makedirs(state_dir(package), exist_ok=True)
    log = os.path.join(state_dir(package), "cpython-build.log")
    if os.path.exists(log):
        os.unlink(log)
    if config.runtime:  # a runtime package: build the tree it ships (dh_pyrpath/runtime/package.py)
        runtime_package.build(invocation, config, log)
        builtusing.record(package, builtusing.relation(*runtime_origin(config.runtime)))
        return
    if parse_runtime(config.python_source):
        runtime = stage_runtime(invocation, config, destdir)
        version, build_dirs = runtime.version, ()
    else:
        tree, build_dir, version = obtain_tree(invocation, config, log)
        stage(tree, destdir, config.prefix)
        builtusing.record(package, compiled_built_using(package))
        build_dirs = (build_dir,)
    staged = StagedTree(package, destdir, config.prefix, version, build_dirs)
    check_staged(staged, is_static_interpreter(tuple(map(int, version.split(".")))))
    staged.save()


def main() -> None:
    run(COMMAND, SUMMARY, buildpython)

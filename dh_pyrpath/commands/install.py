"""dh_pyrpath_install: install the project and make the private tree final."""

from __future__ import annotations

import os

from ..buildpath import files_containing
from ..bytecode import compile_tree, remove_bytecode
from ..cli import run
from ..config import PackageConfig, handled_packages, load_config
from ..debhelper import Invocation
from ..errors import PyrpathError
from ..links import create_links
from ..lintian import write_overrides
from ..maintscript import add_snippet, purge_prefix_snippet
from ..project import build_wheel, drop_local_direct_urls, install_wheel
from ..shebang import make_executable, rewrite_tree
from ..slim import slim_default
from ..staging import StagedTree, load_staged, state_dir

COMMAND = "dh_pyrpath_install"
SUMMARY = "Install the project into the staged tree and make the tree final (shebangs, bytecode, links)."


def install_project(invocation: Invocation, tree: StagedTree, config: PackageConfig, log: str) -> None:
    invocation.progress(f"build and install the project into {config.prefix}")
    wheel = build_wheel(tree, config, log, echo=invocation.verbose)
    install_wheel(tree, config, wheel, log, echo=invocation.verbose)


def finalise(invocation: Invocation, tree: StagedTree, log: str) -> None:
    """Shebangs, slimming, bytecode and permissions of the staged prefix."""
    drop_local_direct_urls(tree.site_packages)
    stdlib = os.path.join(tree.root, "lib", f"python{tree.short_version}")
    slim_default(stdlib)
    bindir = os.path.join(tree.root, "bin")
    final_python = os.path.join(tree.prefix, "bin", f"python{tree.short_version}")
    rewrite_tree(tree.root, tree.root, tree.prefix, final_python)
    make_executable(bindir)
    remove_bytecode(tree.root)
    invocation.progress("compile bytecode (checked-hash)")
    if compile_tree(tree, invocation.build.parallel, log) != 0:
        invocation.warn(f"some files did not byte-compile (they will run from source); see {log}")


def refuse_build_paths(tree: StagedTree) -> None:
    """Fail when any file of the package still mentions the source or build directory."""
    needles = [os.getcwd(), *tree.build_dirs]
    hits = files_containing(os.path.abspath(tree.destdir), needles)
    if hits:
        shown = ", ".join(os.path.relpath(path, tree.destdir) for path, _ in hits[:5])
        more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
        raise PyrpathError(
            f"{len(hits)} file(s) in {tree.destdir} contain the build path {hits[0][1]}: {shown}{more}; "
            "this is a dh-pyrpath bug or a package writing its build path, please report it"
        )


def install(invocation: Invocation) -> None:
    for package in handled_packages(invocation.packages, invocation.control):
        config = load_config(package, invocation.control, invocation.overrides)
        if invocation.no_act:
            invocation.progress(f"would finish {config.prefix} in {invocation.tmpdir(package)}")
            continue
        tree = load_staged(package, COMMAND)
        log = os.path.join(state_dir(package), "install.log")
        if config.install_project:
            install_project(invocation, tree, config, log)
        finalise(invocation, tree, log)
        create_links(tree, config)
        write_overrides(invocation, tree)
        add_snippet(package, "postrm", COMMAND, purge_prefix_snippet(config.prefix))
        refuse_build_paths(tree)


def main() -> None:
    run(COMMAND, SUMMARY, install)

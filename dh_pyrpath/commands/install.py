"""dh_pyrpath_install: put the staged tree into debian/<pkg> and make it final (binary target)."""

from __future__ import annotations

import os

from dh_pyrpath.audit.checks import refuse_leaks
from dh_pyrpath.config import PackageConfig, load_configs
from dh_pyrpath.contract.command import run
from dh_pyrpath.contract.files import add_snippet, set_substvar
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.cpython.relocate import relocate
from dh_pyrpath.dpkg import builtusing
from dh_pyrpath.dpkg.links import check_links, create_links
from dh_pyrpath.dpkg.lintian import write_overrides
from dh_pyrpath.dpkg.maintscripts import clean_snippet, compile_snippet, purge_prefix_snippet
from dh_pyrpath.dpkg.prebuilt_binaries import prebuilt_elf_files, record, set_aside
from dh_pyrpath.runtime import package as runtime_package
from dh_pyrpath.staging import StagedTree, load_staged, state_dir
from dh_pyrpath.tree.finish import finish_tree
from dh_pyrpath.trees import BYTECODE, copy_tree, remove_tree

COMMAND = "dh_pyrpath_install"
SUMMARY = "Put the staged tree into debian/<pkg> and make it final (prefix, shebangs, bytecode, links)."


def place(stage: StagedTree, destdir: str) -> tuple[StagedTree, list[str]]:
    """Copy the staged prefix (without bytecode) into the package build tree and relocate it to the prefix.

    The stage itself is left as the build target made it, so that binary
    can run again.  Returns the placed tree and the files relocation changed.
    """
    tree = stage.placed(destdir)
    remove_tree(tree.root)
    os.makedirs(os.path.dirname(tree.root), exist_ok=True)
    copy_tree(stage.root, tree.root, exclude=BYTECODE)
    return tree, relocate(tree.root, tree.prefix, old_prefix=stage.root)


def add_maintainer_scripts(tree: StagedTree, config: PackageConfig) -> None:
    """postrm purges the prefix when it is ours alone; with Bytecode: install, postinst compiles, prerm cleans."""
    package = config.package
    add_snippet(package, "postrm", COMMAND, purge_prefix_snippet(config.prefix, package))
    if config.bytecode == "install":
        add_snippet(package, "postinst", COMMAND, compile_snippet(tree.final_python, config.prefix, package))
        add_snippet(package, "prerm", COMMAND, clean_snippet(tree.final_python, config.prefix, package))


def install(invocation: Invocation) -> None:
    configs = load_configs(invocation.packages, invocation.control, invocation.overrides)
    invocation.each(configs, lambda config: f"finish {config.prefix} in {invocation.tmpdir(config.package)}",
                    lambda config: install_package(invocation, config))
    if not invocation.no_act:
        # dh_gencontrol is given -DStatic-Built-Using=${pyrpath:Static-Built-Using} for every package: define it
        # (empty) for the packages dh-pyrpath does not handle, or dpkg-gencontrol warns that it is undefined.
        for package in sorted(set(invocation.packages) - {c.package for c in configs}):
            set_substvar(package, builtusing.SUBSTVAR, "")


def install_package(invocation: Invocation, config: PackageConfig) -> None:
    """Place the stage in the package build tree and finish it there; nothing half-finished stays."""
    package = config.package
    if config.runtime:
        target = runtime_package.place(invocation, config, invocation.tmpdir(package), COMMAND)
        invocation.progress(f"{package}: runtime tree, manifest and record in {target}")
        builtusing.apply(package, invocation.tmpdir(package))
        return
    stage = load_staged(package, COMMAND)
    check_links(stage, config)
    tree, relocated = place(stage, invocation.tmpdir(package))
    try:
        finish(invocation, tree, config, relocated)
    except BaseException:
        remove_tree(tree.root)
        raise
    builtusing.apply(package, invocation.tmpdir(package))


def finish(invocation: Invocation, tree: StagedTree, config: PackageConfig, relocated: list[str]) -> None:
    """The /usr/bin links, the tree made final (step 4), what makes it a Debian package (step 5), the audit."""
    create_links(tree, config)
    finish_tree(invocation, tree, config, relocated, os.path.join(state_dir(tree.package), "install.log"))
    prebuilt = prebuilt_elf_files(tree.site_packages)
    write_overrides(invocation, tree, prebuilt, config.bytecode)
    add_maintainer_scripts(tree, config)
    refuse_leaks(tree)
    keep_elf_tools_off(invocation, tree, prebuilt)


def keep_elf_tools_off(invocation: Invocation, tree: StagedTree, prebuilt: list[str]) -> None:
    """Set the binaries of prebuilt wheels aside until dh_pyrpath_prebuilt, after dh_shlibdeps."""
    record(state_dir(tree.package), tree.destdir, prebuilt)
    if prebuilt:
        invocation.progress(f"{len(prebuilt)} binaries from prebuilt wheels kept from dh_dwz, dh_strip, dh_shlibdeps")
        set_aside(state_dir(tree.package), tree.destdir)


def main() -> None:
    run(COMMAND, SUMMARY, install)

"""Step 4: the placed tree made final: local build records, Slim, shebangs, RECORD, bytecode, file times."""

from __future__ import annotations

from dh_pyrpath.config import PackageConfig
from dh_pyrpath.contract.invocation import Invocation
from dh_pyrpath.staging import StagedTree
from dh_pyrpath.tree.bytecode import compile_tree, remove_bytecode
from dh_pyrpath.tree.filetimes import set_times, source_date_epoch
from dh_pyrpath.tree.records import drop_local_direct_urls, refresh_records
from dh_pyrpath.tree.shebang import rewrite_tree
from dh_pyrpath.tree.slim import slim


def finish_tree(invocation: Invocation, tree: StagedTree, config: PackageConfig, relocated: list[str],
                log: str) -> None:
    """Shebangs, slimming, bytecode, permissions and file times of the placed prefix."""
    drop_local_direct_urls(tree.site_packages)
    slim(tree, config.slim)
    rewritten = rewrite_tree(tree.root, tree.root, tree.prefix, tree.final_python)
    refresh_records(tree.site_packages, sorted(set(relocated) | set(rewritten)))
    remove_bytecode(tree.root)
    if config.bytecode == "build":
        compile_at_build_time(invocation, tree, log)
    epoch = source_date_epoch()
    if epoch is not None:
        set_times(tree.root, epoch)


def compile_at_build_time(invocation: Invocation, tree: StagedTree, log: str) -> None:
    """Bytecode: build: ship checked-hash .pyc (for read-only images); else postinst compiles."""
    invocation.progress("compile bytecode (checked-hash)")
    if compile_tree(tree, invocation.build.parallel, log) != 0:
        invocation.warn(f"some files did not byte-compile (they will run from source); see {log}")

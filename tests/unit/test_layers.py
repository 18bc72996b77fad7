"""No module imports from a higher layer, and none imports a command module."""

from __future__ import annotations

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Lowest first; runtime/ (runtime packages) sits above vendor/, below the commands.
LAYERS = (("errors", "hashing", "trees", "elf", "prefixes"), ("contract",), ("config", "staging"), ("cpython",),
          ("deps",), ("project",), ("tree",), ("dpkg",), ("sbom",), ("audit",), ("vendor",), ("runtime",),
          ("commands",))
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_imports_go_down_the_layers():
    wrong = []
    package = os.path.join(ROOT, "dh_pyrpath")
    for dirpath, _, filenames in os.walk(package):
        for name in (n for n in filenames if n.endswith(".py")):
            path = os.path.join(dirpath, name)
            module = "dh_pyrpath." + os.path.relpath(path, package)[:-3].replace(os.sep, ".")
            own = layer(module)
            if own not in RANK:
                continue
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dh_pyrpath."):
                    target = layer(node.module)
                    if target in RANK and RANK[target] > RANK[own] or (target == "commands" and own == "commands"):
                        wrong.append(f"{module} imports {node.module}")
    assert not wrong, wrong

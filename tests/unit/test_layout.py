"""The package's layout: the steps of the scheme are places, and imports only go down.

Layers, lowest first: what everything shares (errors, hashing), the
debhelper contract, the shared tree helpers and configuration, then the
steps in their order, the SBOM, audit and vendor, and the commands on top.
A module may import from its own layer or a lower one; no module but a
command imports a command.
"""

from __future__ import annotations

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYERS = (
    ("errors", "hashing"),
    ("contract",),
    ("trees", "elf", "prefixes", "config", "staging"),
    ("cpython",),   # step 1
    ("deps",),      # step 2
    ("project",),   # step 3
    ("tree",),      # step 4
    ("dpkg",),      # step 5
    ("sbom",),
    ("audit",),
    ("vendor",),
    ("runtime",),
    ("commands",),
)
STEPS = {"cpython": 1, "deps": 2, "project": 3, "tree": 4, "dpkg": 5}
PACKAGE = os.path.join(ROOT, "dh_pyrpath")


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return next((i for i, names in enumerate(LAYERS) if top in names), -1)


def modules() -> dict[str, str]:
    found = {}
    for dirpath, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                found[os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__")] = path
    return found


def imports(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fd:
        tree = ast.parse(fd.read())
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return [n for n in names if n.startswith("dh_pyrpath.")]


def test_every_module_has_a_layer():
    assert [m for m in modules() if m != "dh_pyrpath" and layer(m) < 0] == []


def test_imports_go_down_and_never_into_a_command():
    wrong = [f"{module} imports {name}" for module, path in modules().items() for name in imports(path)
             if layer(name) > layer(module) or (name.startswith("dh_pyrpath.commands.")
                                                and not module.startswith("dh_pyrpath.commands"))]
    assert wrong == []


def test_no_relative_imports():
    relative = [module for module, path in modules().items()
                if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(open(path).read())))]
    assert relative == []


def test_the_five_steps_are_five_packages():
    for name, step in STEPS.items():
        with open(os.path.join(PACKAGE, name, "__init__.py"), encoding="utf-8") as fd:
            assert fd.read().startswith(f'"""Step {step}:'), name


def test_test_modules_have_unique_names():
    """tests/ has no __init__.py: pytest refuses to collect two test modules of one basename in one run."""
    seen: dict[str, list[str]] = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                seen.setdefault(name, []).append(os.path.relpath(os.path.join(folder, name), ROOT))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}

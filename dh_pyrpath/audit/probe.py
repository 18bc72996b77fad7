"""The runtime part of pyrpath audit: run an installed prefix's interpreter and see what it loads."""

from __future__ import annotations

import json
import os
import re

from dh_pyrpath.audit.findings import Finding
from dh_pyrpath.contract.runner import run
from dh_pyrpath.elf import is_system_dir
from dh_pyrpath.staging import interpreter_env

# An interpreter's file name: python, python3, python3.11.
PYTHON_NAME = re.compile(r"^python[0-9.]*$")
_PROBE_TIMEOUT = 300


def is_libpython(name: str) -> bool:
    return os.path.basename(name).startswith("libpython")


# Run by the prefix's interpreter: import every stdlib extension module and every installed
# distribution's top-level modules, then report what came from outside the prefix (argv[1]).
PROBE = r'''
import importlib, importlib.machinery, json, os, sys, warnings
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
warnings.simplefilter("ignore")
prefix = os.path.realpath(sys.argv[1])

def inside(path):
    real = os.path.realpath(path)
    return real == prefix or real.startswith(prefix + "/")

def stdlib_extensions():
    # sys.path's lib-dynload (in a virtualenv, sysconfig would name the venv's own directory)
    dirs = [p for p in sys.path if os.path.basename(p) == "lib-dynload" and os.path.isdir(p)]
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    names = set()
    for entry in [e for d in dirs for e in os.listdir(d)]:
        for suffix in suffixes:
            if entry.endswith(suffix):
                names.add(entry[:-len(suffix)])
                break
    return sorted(names)

def top_levels():
    from importlib import metadata
    names = set()
    for dist in metadata.distributions():
        try:
            text = dist.read_text("top_level.txt")
            files = [] if text else list(dist.files or ())
        except Exception:
            continue
        if text:
            names.update(line.strip().split("/")[0] for line in text.splitlines())
        for file in files:
            parts = file.parts
            if not parts or parts[0] in ("..", "__pycache__") \
                    or parts[0].endswith((".dist-info", ".egg-info", ".data")):
                continue
            first = parts[0]
            if len(parts) == 1:
                stem = next((first[:-len(s)] for s in [".py"] + importlib.machinery.EXTENSION_SUFFIXES
                             if first.endswith(s)), None)
                if stem is None:
                    continue
                first = stem
            names.add(first)
    return sorted(n for n in names if n.isidentifier())

imported, errors = [], []
for name in stdlib_extensions() + top_levels():
    try:
        importlib.import_module(name)
        imported.append(name)
    except BaseException as exc:
        errors.append([name, f"{type(exc).__name__}: {exc}"])
modules = {name: m.__file__ for name, m in list(sys.modules.items())
           if isinstance(getattr(m, "__file__", None), str)}
maps = set()
with open("/proc/self/maps") as fd:
    for line in fd:
        fields = line.split(None, 5)
        if len(fields) == 6 and fields[5].startswith("/"):
            maps.add(fields[5].strip())
json.dump({
    "executable": sys.executable, "prefix": sys.prefix, "base_prefix": sys.base_prefix,
    "imported": imported, "errors": errors,
    "outside": {n: f for n, f in sorted(modules.items()) if not inside(f)},
    "modules": len(modules),
    "path": [p for p in sys.path if not inside(p)],
    "maps": sorted(m for m in maps if not inside(m)),
}, out)
out.flush()
'''


def probe_env() -> dict[str, str]:
    """Nothing of the caller's that redirects what an interpreter loads.

    setuptools would refuse to import after another module imported the
    stdlib's distutils; its own switch lets it import in any order.
    """
    env = {k: v for k, v in interpreter_env().items() if not k.startswith("LD_")}  # the host's preloads too
    env["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
    return env


def main_interpreter(prefix: str) -> str | None:
    """<prefix>/bin/python3.X (the newest), else python3 or python."""
    bindir = os.path.join(prefix, "bin")
    try:
        names = os.listdir(bindir)
    except OSError:
        return None
    versioned = sorted((n for n in names if re.match(r"^python3\.[0-9]+$", n)), key=lambda n: int(n.split(".")[1]))
    for name in versioned[-1:] + ["python3", "python"]:
        if name in names and os.access(os.path.join(bindir, name), os.X_OK):
            return os.path.join(bindir, name)
    return None


def runtime_audit(prefix: str) -> tuple[list[Finding], list[str], int]:
    """Run the prefix's interpreter: (findings, notes, number of modules loaded)."""
    python = main_interpreter(prefix)
    if python is None:
        return [Finding("interpreter", f"{prefix}/bin", "no runnable python3.X; nothing imported")], [], 0
    # A module that hangs on import: "<python>: importing the installed modules: did not finish within N s".
    result = run([python, "-I", "-B", "-c", PROBE, prefix], f"{python}: importing the installed modules", reads=True,
                 check=False, env=probe_env(), cwd="/", timeout=_PROBE_TIMEOUT, stderr_apart=True)
    try:
        report = json.loads(result.output)
    except ValueError:
        tail = (result.errors.strip().splitlines() or ["no output"])[-1]
        return [Finding("interpreter", python, f"does not run the import probe (exit status {result.status}: "
                                               f"{tail})")], [], 0
    return probe_findings(prefix, python, report)


def probe_findings(prefix: str, python: str, report: dict) -> tuple[list[Finding], list[str], int]:
    """Turn the probe's JSON into findings and notes."""
    findings = []
    real_prefix = os.path.realpath(prefix)
    for attribute in ("prefix", "base_prefix"):
        if os.path.realpath(report[attribute]) != real_prefix:
            findings.append(Finding("sys.path", python, f"sys.{attribute} is {report[attribute]}, not {prefix}"))
    by_file: dict[str, list[str]] = {}
    for name, path in report["outside"].items():
        by_file.setdefault(path, []).append(name)
    findings += [Finding("module", path, f"module {', '.join(names)} imported from outside {prefix}")
                 for path, names in by_file.items()]
    findings += [Finding("sys.path", entry, f"on sys.path of {python}") for entry in report["path"]]
    for mapped in report["maps"]:
        name = os.path.basename(mapped)
        if is_libpython(name) or PYTHON_NAME.match(name) or mapped == os.path.realpath(report["executable"]):
            findings.append(Finding("mapped", mapped, f"the interpreter runs this file from outside {prefix}"))
        elif ".so" in name and not is_system_dir(os.path.dirname(mapped)):
            findings.append(Finding("mapped", mapped, f"a library loaded from outside {prefix} and Debian's "
                                                      "library directories"))
    notes = [f"could not import {name} ({error})" for name, error in report["errors"]]
    return findings, notes, report["modules"]

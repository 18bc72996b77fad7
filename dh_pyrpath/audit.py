"""Check a package tree or an installed prefix against dh-pyrpath's isolation invariants.

Static checks read files only: ELF NEEDED libraries (libpython above all)
must resolve under the prefix or to a Debian system library, RUNPATHs must
not point elsewhere, no file may hold a build path, every Python #! must
run the prefix's own interpreter, and the prefix must carry its own
interpreter and standard library.  On an installed prefix the runtime check
then runs the interpreter, imports every stdlib extension module and the
top-level modules of the installed distributions, and reports what was
loaded from outside the prefix.  Every check returns Finding records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field

from .buildpath import build_path_needles, find_in_file
from .elf import Dynamic, default_dirs, expand_origin, is_elf, is_system_dir, read_dynamic, resolve
from .errors import PyrpathError

# Finding kinds, in the order reports list them, with what each means.
KINDS = {
    "interpreter": "the prefix does not carry its own interpreter and standard library",
    "libpython": "an ELF file's libpython does not resolve under the prefix",
    "library": "a NEEDED library resolves outside the prefix and outside Debian's library directories",
    "runpath": "a RUNPATH/RPATH entry points outside the prefix and Debian's library directories",
    "shebang": "a script's #! runs a Python outside the prefix",
    "symlink": "code under the prefix is a symbolic link to a file outside it",
    "build-path": "a file holds the path of the directory the package was built in",
    "module": "a module was imported from outside the prefix",
    "sys.path": "the interpreter's sys.path reaches outside the prefix",
    "mapped": "the interpreter mapped a library or executable from outside the prefix",
}
_PYTHON = re.compile(r"^python[0-9.]*$")
# What a symbolic link under the prefix may not point outside of it for: code.
_CODE = re.compile(r"(\.so(\.[0-9]+)*|\.py|\.pth)$")
_PROBE_TIMEOUT = 300
_SHOWN_PER_KIND = 10


def printable(text: str) -> str:
    """A path as text, undecodable bytes shown as \\xNN (file names need not be UTF-8)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Finding:
    """One breach of isolation: its kind, the installed path at fault, and what is wrong."""

    kind: str
    path: str
    detail: str

    def line(self) -> str:
        return printable(f"{self.kind}: {self.path}: {self.detail}")


@dataclass(frozen=True)
class Layout:
    """Files as they will be installed: root stands for / on disk, prefix is the private tree."""

    root: str
    prefix: str

    def disk(self, installed: str) -> str:
        return installed if self.root == "/" else self.root.rstrip("/") + installed

    def installed(self, disk: str) -> str:
        return disk if self.root == "/" else "/" + os.path.relpath(disk, self.root)

    def inside(self, installed: str) -> bool:
        return installed == self.prefix or installed.startswith(self.prefix.rstrip("/") + "/")

    def real(self, installed: str) -> tuple[str, bool]:
        """Follow symlinks inside the tree: (final installed path, whether it exists).

        A path the tree does not hold, outside the prefix, is looked up on
        this system instead (the Debian libraries a package links against).
        """
        parts = [p for p in installed.split("/") if p]
        done, hops = "/", 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                done = os.path.dirname(done)
                continue
            candidate = os.path.join(done, part)
            disk = self.disk(candidate)
            if os.path.islink(disk):
                hops += 1
                if hops > 40:
                    return candidate, False
                target = os.readlink(disk)
                parts = [p for p in target.split("/") if p] + parts
                done = "/" if target.startswith("/") else done
                continue
            if not os.path.lexists(disk):
                rest = os.path.join(candidate, *parts)
                if self.root != "/" and not self.inside(candidate):
                    return os.path.realpath(rest), os.path.exists(rest)
                return rest, False
            done = candidate
        return done, True

    def exists(self, installed: str) -> bool:
        return self.real(installed)[1]


@dataclass
class Report:
    """What an audit checked and found."""

    target: str
    prefix: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def isolated(self) -> bool:
        return not self.findings

    def sorted_findings(self) -> list[Finding]:
        order = list(KINDS)
        return sorted(self.findings, key=lambda f: (order.index(f.kind) if f.kind in order else len(order), f.path))

    def as_json(self) -> dict:
        return {
            "target": printable(self.target),
            "prefix": self.prefix,
            "isolated": self.isolated,
            "checked": self.checked,
            "findings": [{k: printable(v) for k, v in asdict(f).items()} for f in self.sorted_findings()],
            "notes": [printable(n) for n in self.notes],
        }

    def summary(self) -> list[str]:
        """The human report: a verdict line, then the findings grouped by kind."""
        checked = ", ".join(f"{n} {what.replace('_', ' ').replace('elf', 'ELF')}"
                            for what, n in self.checked.items())
        head = f"{printable(self.target)} (prefix {self.prefix}; checked {checked})"
        if self.isolated:
            lines = [f"{head}: isolated, no findings"]
        else:
            lines = [f"{head}: NOT isolated, {len(self.findings)} finding(s)"]
        by_kind: dict[str, list[Finding]] = {}
        for finding in self.sorted_findings():
            by_kind.setdefault(finding.kind, []).append(finding)
        for kind, findings in by_kind.items():
            lines.append(f"  {kind} ({len(findings)}): {KINDS.get(kind, '')}")
            lines += [f"    {printable(f.path)}: {printable(f.detail)}" for f in findings[:_SHOWN_PER_KIND]]
            if len(findings) > _SHOWN_PER_KIND:
                lines.append(f"    ... and {len(findings) - _SHOWN_PER_KIND} more (--json lists all)")
        lines += [f"  note: {printable(n)}" for n in self.notes[:_SHOWN_PER_KIND]]
        if len(self.notes) > _SHOWN_PER_KIND:
            lines.append(f"  note: ... and {len(self.notes) - _SHOWN_PER_KIND} more notes (--json lists all)")
        return lines


# --- walking -------------------------------------------------------------------------------

def walk(top: str) -> tuple[list[str], list[str]]:
    """(regular files, symbolic links) under top, on disk, sorted."""
    files, links = [], []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                links.append(os.path.join(dirpath, name))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                links.append(path)
            elif os.path.isfile(path):
                files.append(path)
    return files, links


# --- ELF -----------------------------------------------------------------------------------

def is_libpython(name: str) -> bool:
    return os.path.basename(name).startswith("libpython")


def check_elf(layout: Layout, files: list[str]) -> tuple[list[Finding], list[str], int]:
    """libpython and NEEDED libraries of every ELF file, and their RUNPATH entries."""
    elves = [path for path in files if is_elf(path)]
    dynamics = read_dynamic(elves)
    fallback = default_dirs()
    findings: list[Finding] = []
    notes: list[str] = []
    for disk in elves:
        installed = layout.installed(disk)
        found, unresolved = check_dynamic(layout, installed, dynamics[disk], fallback)
        findings += found
        notes += [f"{installed}: NEEDED {name} is not installed on this system; not checked" for name in unresolved]
    return findings, notes, len(elves)


def check_dynamic(layout: Layout, installed: str, dynamic: Dynamic,
                  fallback: tuple[str, ...]) -> tuple[list[Finding], list[str]]:
    """Findings for one ELF file, and the NEEDED names that resolve nowhere."""
    origin = os.path.dirname(installed)
    findings = []
    for entry in dynamic.search_path():
        directory = expand_origin(entry, origin)
        if not directory.startswith("/"):
            findings.append(Finding("runpath", installed, f"entry {entry!r} is relative: it depends on the "
                                                          "working directory; use $ORIGIN/..."))
        elif not layout.inside(directory) and not is_system_dir(directory):
            findings.append(Finding("runpath", installed, f"entry {entry} ({directory}) is outside "
                                                          f"{layout.prefix} and Debian's library directories"))
    unresolved = []
    for name in dynamic.needed:
        found, how = resolve(name, dynamic, origin, layout.exists, fallback)
        final = layout.real(found)[0] if found else None
        if is_libpython(name):
            if final is None:
                findings.append(Finding("libpython", installed, f"{name} is not found under {layout.prefix} "
                                                                "(RUNPATH should be $ORIGIN/../lib)"))
            elif not layout.inside(final):
                findings.append(Finding("libpython", installed, f"{name} resolves to {final} ({how}), "
                                                                f"not under {layout.prefix}"))
        elif final is None:
            unresolved.append(name)
        elif not layout.inside(final) and not is_system_dir(os.path.dirname(final)):
            findings.append(Finding("library", installed, f"{name} resolves to {final} ({how}), outside "
                                                          f"{layout.prefix} and Debian's library directories"))
    return findings, unresolved


# --- build paths ---------------------------------------------------------------------------

def check_build_paths(layout: Layout, files: list[str], build_paths: list[str]) -> list[Finding]:
    needles = build_path_needles(layout.prefix, build_paths)
    findings = []
    for path in files:
        hit = find_in_file(path, needles)
        if hit:
            findings.append(Finding("build-path", layout.installed(path), f"contains the build path {hit}"))
    return findings


# --- scripts -------------------------------------------------------------------------------

def script_interpreter(head: bytes) -> tuple[str, str | None] | None:
    """(interpreter, command run through env or None) of a script's first lines, or None.

    pip's trampoline (#!/bin/sh, then '''exec' <python> "$0" "$@") counts
    as its exec line's interpreter.
    """
    if not head.startswith(b"#!"):
        return None
    lines = head.split(b"\n", 3)
    words = os.fsdecode(lines[0][2:]).split()
    if not words:
        return None
    if words[0] in ("/bin/sh", "/usr/bin/sh") and len(lines) > 2 and lines[1].startswith(b"'''exec' "):
        exec_words = os.fsdecode(lines[1]).split()
        if len(exec_words) > 1:
            return exec_words[1], None
    if os.path.basename(words[0]) == "env":
        command = next((w for w in words[1:] if not w.startswith("-") and "=" not in w), None)
        return words[0], command
    return words[0], None


def check_script(layout: Layout, installed: str, head: bytes) -> Finding | None:
    """A Python #! must run the prefix's own interpreter; other interpreters (sh, perl) are the system's."""
    parsed = script_interpreter(head)
    if parsed is None:
        return None
    interpreter, command = parsed
    if command is not None:
        if _PYTHON.match(os.path.basename(command)):
            return Finding("shebang", installed, f"#!{interpreter} {command} runs whichever {command} comes first "
                                                 f"on PATH, not {layout.prefix}/bin/python3.X")
        return None
    if layout.inside(interpreter):
        final, present = layout.real(interpreter)
        if not present:
            return Finding("shebang", installed, f"#!{interpreter}: the package has no such file")
        if not layout.inside(final):
            return Finding("shebang", installed, f"#!{interpreter} is a link to {final}, outside {layout.prefix}")
        return None
    if _PYTHON.match(os.path.basename(interpreter)):
        return Finding("shebang", installed, f"#!{interpreter} is a Python outside {layout.prefix}; "
                                             f"point it at {layout.prefix}/bin/python3.X")
    return None


def check_shebangs(layout: Layout, files: list[str]) -> tuple[list[Finding], int]:
    findings, scripts = [], 0
    for path in files:
        with open(path, "rb") as fd:
            head = fd.read(512)
        if not head.startswith(b"#!"):
            continue
        scripts += 1
        finding = check_script(layout, layout.installed(path), head)
        if finding:
            findings.append(finding)
    return findings, scripts


# --- the prefix's own interpreter ----------------------------------------------------------

def interpreters(layout: Layout) -> list[str]:
    """Names in <prefix>/bin that are Python interpreters (python, python3, python3.X)."""
    bindir = layout.disk(os.path.join(layout.prefix, "bin"))
    try:
        names = os.listdir(bindir)
    except OSError:
        return []
    return sorted(n for n in names if _PYTHON.match(n))


def check_interpreter(layout: Layout) -> list[Finding]:
    """The prefix has a python3.X of its own, its stdlib, and is no virtualenv."""
    prefix = layout.prefix
    findings = []
    names = interpreters(layout)
    if not names:
        findings.append(Finding("interpreter", f"{prefix}/bin", "no python3.X interpreter under the prefix"))
    for name in names:
        path = os.path.join(prefix, "bin", name)
        final, present = layout.real(path)
        if not present:
            findings.append(Finding("interpreter", path, f"a dangling link (to {final})"))
        elif not layout.inside(final):
            findings.append(Finding("interpreter", path, f"a link to {final}: the interpreter is outside the prefix"))
    versions = sorted({n[len("python"):] for n in names if re.match(r"^python3\.[0-9]+$", n)})
    for version in versions:
        os_py = os.path.join(prefix, "lib", f"python{version}", "os.py")
        final, present = layout.real(os_py)
        if not present or not layout.inside(final):
            findings.append(Finding("interpreter", os_py, "missing: the standard library is not under the prefix, "
                                                          "so it comes from elsewhere"))
    cfg = os.path.join(prefix, "pyvenv.cfg")
    if os.path.isfile(layout.disk(cfg)):
        with open(layout.disk(cfg), encoding="utf-8", errors="replace") as fd:
            home = next((line.split("=", 1)[1].strip() for line in fd if line.split("=", 1)[0].strip() == "home"), "?")
        findings.append(Finding("interpreter", cfg, f"a virtual environment of the Python in {home}: its "
                                                    "standard library and extension modules are that Python's"))
    return findings


def check_symlinks(layout: Layout, links: list[str]) -> list[Finding]:
    """Code under the prefix (.so, .py, .pth) that is a link to a file outside it."""
    findings = []
    for disk in links:
        installed = layout.installed(disk)
        if not layout.inside(installed) or _PYTHON.match(os.path.basename(installed)):
            continue  # the interpreter's links are check_interpreter's
        final, _ = layout.real(installed)
        if not layout.inside(final) and (_CODE.search(installed) or _CODE.search(final)
                                         or re.match(r"^/usr(/local)?/lib/python[0-9]", final)):
            findings.append(Finding("symlink", installed, f"a link to {final}, outside {layout.prefix}"))
    return findings


# --- static audit --------------------------------------------------------------------------

def static_audit(layout: Layout, target: str, build_paths: list[str] | tuple[str, ...] = ()) -> Report:
    """Every check that only reads files; for a package tree, all of it, else the prefix."""
    top = layout.root if layout.root != "/" else layout.prefix
    files, links = walk(top)
    report = Report(target, layout.prefix)
    elf_findings, notes, elves = check_elf(layout, files)
    shebangs, scripts = check_shebangs(layout, files)
    report.findings = (check_interpreter(layout) + elf_findings + shebangs + check_symlinks(layout, links)
                       + check_build_paths(layout, files, list(build_paths)))
    report.notes = notes
    report.checked = {"files": len(files), "elf_files": elves, "scripts": scripts}
    return report


# --- runtime audit (installed prefix) ------------------------------------------------------

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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LD_")) and k != "VIRTUAL_ENV"}
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
    try:
        result = subprocess.run([python, "-I", "-B", "-c", PROBE, prefix], capture_output=True, text=True,
                                errors="replace", env=probe_env(), cwd="/", stdin=subprocess.DEVNULL,
                                timeout=_PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PyrpathError(f"{python}: importing the installed modules took over {_PROBE_TIMEOUT} s; "
                           "a module hangs on import") from None
    try:
        report = json.loads(result.stdout)
    except ValueError:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [Finding("interpreter", python, f"does not run the import probe (exit status {result.returncode}: "
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
        if is_libpython(name) or _PYTHON.match(name) or mapped == os.path.realpath(report["executable"]):
            findings.append(Finding("mapped", mapped, f"the interpreter runs this file from outside {prefix}"))
        elif ".so" in name and not is_system_dir(os.path.dirname(mapped)):
            findings.append(Finding("mapped", mapped, f"a library loaded from outside {prefix} and Debian's "
                                                      "library directories"))
    notes = [f"could not import {name} ({error})" for name, error in report["errors"]]
    return findings, notes, report["modules"]


# --- targets -------------------------------------------------------------------------------

def find_prefixes(root: str) -> list[str]:
    """Installed paths of the directories of a tree that hold bin/python3*: private prefixes."""
    prefixes = []
    for dirpath, dirnames, _ in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == "usr" or rel.startswith("usr/"):
            dirnames.clear()
            continue
        if "bin" in dirnames and any(_PYTHON.match(n) and n.startswith("python3")
                                     for n in os.listdir(os.path.join(dirpath, "bin"))):
            prefixes.append("/" + rel if rel != "." else "/")
            dirnames.clear()
        dirnames.sort()
    return prefixes


def choose_prefix(root: str, target: str, prefix: str | None) -> str:
    found = find_prefixes(root)
    if prefix:
        prefix = os.path.normpath(prefix)
        if not prefix.startswith("/") or not os.path.isdir(root.rstrip("/") + prefix):
            raise PyrpathError(f"--prefix {prefix}: no such directory in {printable(target)}; "
                               f"prefixes found there: {', '.join(found) or 'none'}")
        return prefix
    if len(found) != 1:
        what = f"several ({', '.join(found)})" if found else "none (no <dir>/bin/python3*)"
        raise PyrpathError(f"{printable(target)}: cannot tell the private prefix: found {what}; give --prefix")
    return found[0]


def is_installed_prefix(directory: str) -> bool:
    return bool(interpreters(Layout("/", os.path.abspath(directory))))


def audit_tree(root: str, target: str, prefix: str | None, build_paths: list[str]) -> Report:
    layout = Layout(os.path.abspath(root), choose_prefix(root, target, prefix))
    return static_audit(layout, target, build_paths)


def audit_installed(directory: str, build_paths: list[str]) -> Report:
    """Static checks of an installed prefix, then the run of its interpreter."""
    prefix = os.path.abspath(directory)
    report = static_audit(Layout("/", prefix), directory, build_paths)
    staging = re.search(r"^(.*/debian/[^/]+)(/.+)$", prefix)
    if staging:
        report.notes.append(f"{prefix} looks like a package build tree: to check it as it will be installed, "
                            f"run pyrpath audit --prefix {staging.group(2)} {staging.group(1)}")
    findings, notes, modules = runtime_audit(prefix)
    report.findings += findings
    report.notes += notes
    report.checked["modules_loaded"] = modules
    return report


def audit_deb(deb: str, prefix: str | None, build_paths: list[str]) -> Report:
    """Unpack a .deb (dpkg-deb -x) into a temporary directory and audit its tree."""
    work = tempfile.mkdtemp(prefix="pyrpath-audit-")
    try:
        root = os.path.join(work, "root")
        result = subprocess.run(["dpkg-deb", "-x", deb, root], capture_output=True, text=True,
                                errors="replace", stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["dpkg-deb failed"])[-1]
            raise PyrpathError(f"{printable(deb)}: not a readable .deb ({detail}); give a .deb or an installed prefix")
        return audit_tree(root, deb, prefix, build_paths)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def audit(target: str, prefix: str | None = None, build_paths: list[str] | None = None) -> Report:
    """Audit a .deb, an unpacked package tree (with or without --prefix) or an installed prefix."""
    paths = list(build_paths or [])
    if os.path.isdir(target):
        if prefix is None and is_installed_prefix(target):
            real = os.path.realpath(target)
            if real == "/" or real == "/usr" or real.startswith("/usr/"):
                raise PyrpathError(f"{printable(target)}: this is the system's Python, not a private prefix; "
                                   "give a .deb or a prefix such as /opt/<package>")
            return audit_installed(target, paths)
        return audit_tree(target, target, prefix, paths)
    if os.path.isfile(target):
        return audit_deb(target, prefix, paths)
    raise PyrpathError(f"{printable(target)}: no such file or directory; give a .deb or an installed prefix "
                       "such as /opt/<package>")

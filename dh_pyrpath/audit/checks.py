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

import os
import re
import shutil
import tempfile

from dh_pyrpath.audit.buildpath import build_path_needles, find_in_file
from dh_pyrpath.audit.findings import Finding, Layout, Report, printable
from dh_pyrpath.audit.probe import PYTHON_NAME, is_libpython, runtime_audit
from dh_pyrpath.audit.sbom import sbom_findings
from dh_pyrpath.audit.scripts import check_maintainer_scripts
from dh_pyrpath.contract.runner import run
from dh_pyrpath.elf import Dynamic, default_dirs, expand_origin, is_elf, is_system_dir, read_dynamic, resolve
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.staging import StagedTree

# What a symbolic link under the prefix may not point outside of it for: code.
_CODE = re.compile(r"(\.so(\.[0-9]+)*|\.py|\.pth)$")


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
        if PYTHON_NAME.match(os.path.basename(command)):
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
    if PYTHON_NAME.match(os.path.basename(interpreter)):
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
    return sorted(n for n in names if PYTHON_NAME.match(n))


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
        if not layout.inside(installed) or PYTHON_NAME.match(os.path.basename(installed)):
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


# --- targets -------------------------------------------------------------------------------

def find_prefixes(root: str) -> list[str]:
    """Installed paths of the directories of a tree that hold bin/python3*: private prefixes."""
    prefixes = []
    for dirpath, dirnames, _ in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == "usr" or rel.startswith("usr/"):
            dirnames.clear()
            continue
        if "bin" in dirnames and any(PYTHON_NAME.match(n) and n.startswith("python3")
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


def audit_tree(root: str, target: str, prefix: str | None, build_paths: list[str],
               control_dir: str | None = None) -> Report:
    """Static checks of a package tree, and of its maintainer scripts (control_dir, else <root>/DEBIAN)."""
    layout = Layout(os.path.abspath(root), choose_prefix(root, target, prefix))
    report = static_audit(layout, target, build_paths)
    report.findings += check_maintainer_scripts(control_dir or os.path.join(root, "DEBIAN"), layout.prefix)
    report.findings += sbom_findings(layout)
    return report


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
        root, control = os.path.join(work, "root"), os.path.join(work, "control")
        for option, directory in (("-x", root), ("-e", control)):
            # reads: it unpacks into a scratch directory of its own, never into debian/
            result = run(["dpkg-deb", option, deb, directory], f"dpkg-deb {option}", reads=True, check=False)
            if not result.ok:
                detail = (result.output.strip().splitlines() or ["dpkg-deb failed"])[-1]
                raise PyrpathError(f"{printable(deb)}: not a readable .deb ({detail}); give a .deb or an installed prefix")
        return audit_tree(root, deb, prefix, build_paths, control)
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


def refuse_leaks(tree: StagedTree) -> None:
    """Fail when the finished tree breaks isolation: the static part of pyrpath audit.

    Build paths are the source directory, CPython's build directory and any
    debhelper staging path; ELF files must find libpython under the prefix,
    and every Python #! must run the prefix's interpreter.
    """
    root = os.path.abspath(tree.destdir)
    report = static_audit(Layout(root, tree.prefix), tree.destdir, [os.getcwd(), *tree.build_dirs])
    if report.findings:
        findings = report.sorted_findings()
        shown = "; ".join(f.line() for f in findings[:3])
        more = f"; and {len(findings) - 3} more" if len(findings) > 3 else ""
        raise PyrpathError(
            f"{len(findings)} isolation finding(s) in {tree.destdir}: {shown}{more}; run "
            f"pyrpath audit --prefix {tree.prefix} {tree.destdir} for all, and fix what put them there "
            "(a dh-pyrpath bug or a package writing its build path: please report it)"
        )

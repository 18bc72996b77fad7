"""The debhelper contract's output half: the files in debian/ a helper reads and writes, by Dh_Lib's rules.

- pkgfile: debian/<pkg>.<name>, or debian/<name> for the first package of
  debian/control (Dh_Lib's main package);
- add_substvar: one item into a substvar of debian/<pkg>.substvars, kept
  once, the items sorted, written to a new file then renamed;
- add_snippet: a maintainer-script snippet into debian/<pkg>.<script>.debhelper
  between the `# Automatically added by` markers, appended for preinst and
  postinst, prepended for prerm and postrm (removal runs in the reverse
  order of installation, so a later helper's snippet, dh_installsystemd
  stopping the service, runs before ours).
"""

from __future__ import annotations

import glob
import os

from dh_pyrpath import __version__
from dh_pyrpath.contract.control import SourceControl, host_arch, host_arch_os

PREPENDED = ("prerm", "postrm")
END_MARKER = "# End automatically added section"


def pkgfile(package: str, name: str, control: SourceControl) -> str | None:
    """The package's debian/<pkg>.<name>, else debian/<name> for the main package; None if neither exists.

    As in Dh_Lib, debian/<pkg>.<name>.<arch> and .<os> (the host's) come
    first, looked for only when some debian/*.<name>.* exists.
    """
    candidates = [os.path.join("debian", f"{package}.{name}")]
    if glob.glob(os.path.join("debian", f"*.{glob.escape(name)}.*")):
        arch, arch_os = host_arch(), host_arch_os()
        candidates[:0] = [os.path.join("debian", f"{package}.{name}.{arch}"),
                          os.path.join("debian", f"{package}.{name}.{arch_os}")]
    if package == control.main_package:
        candidates.append(os.path.join("debian", name))
    return next((path for path in candidates if os.path.isfile(path)), None)


def substvars_file(package: str) -> str:
    return os.path.join("debian", f"{package}.substvars")


def add_substvar(package: str, name: str, value: str) -> str:
    """Add each comma-separated item of value to the substvar name, once; the items sorted, as Dh_Lib does."""
    path = substvars_file(package)
    lines = _read_lines(path)
    items = [item.strip() for item in value.split(",") if item.strip()]
    for index, line in enumerate(lines):
        key, assign, current = _split_substvar(line)
        if key == name:
            merged = sorted(set(filter(None, (i.strip() for i in current.split(",")))) | set(items))
            lines[index] = f"{name}{assign}{', '.join(merged)}"
            break
    else:
        if not items:
            return path
        lines.append(f"{name}={', '.join(sorted(set(items)))}")
    _replace(path, "".join(line + "\n" for line in lines))
    return path


def set_substvar(package: str, name: str, value: str) -> str:
    """Set the substvar name to value, replacing what it held, so that binary can run twice; empty stays defined."""
    path = substvars_file(package)
    lines = [line for line in _read_lines(path) if _split_substvar(line)[0] != name]
    lines.append(f"{name}={value}")
    _replace(path, "".join(line + "\n" for line in lines))
    return path


def _split_substvar(line: str) -> tuple[str, str, str]:
    """(name, '=' or '?=', value) of a substvars line; ('', '', '') for a comment or a blank."""
    if line.startswith("#") or "=" not in line:
        return "", "", ""
    key, value = line.split("=", 1)
    if key.endswith("?"):
        return key[:-1], "?=", value
    return key, "=", value


def add_snippet(package: str, script: str, command: str, body: str) -> str:
    """Put body into debian/<pkg>.<script>.debhelper, replacing an earlier snippet of the same command."""
    path = os.path.join("debian", f"{package}.{script}.debhelper")
    start = f"# Automatically added by {command}/"
    kept = _without_block(_read_lines(path), start)
    block = [f"{start}{__version__}", *body.rstrip().splitlines(), END_MARKER]
    lines = [*block, *kept] if script in PREPENDED else [*kept, *block]
    _replace(path, "".join(line + "\n" for line in lines))
    return path


def _without_block(lines: list[str], start: str) -> list[str]:
    """The lines of a .debhelper file, less the block that starts with start."""
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(start):
            skipping = True
        elif skipping and line == END_MARKER:
            skipping = False
            continue
        if not skipping:
            kept.append(line)
    return kept


def _read_lines(path: str) -> list[str]:
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as fd:
        return fd.read().splitlines()


def _replace(path: str, text: str) -> None:
    """Write text to path.new, then rename it over path: a reader never sees half a file."""
    with open(path + ".new", "w", encoding="utf-8") as fd:
        fd.write(text)
    os.replace(path + ".new", path)

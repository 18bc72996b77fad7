"""What an audit reports: findings, the installed layout it checks, and the report."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

_SHOWN_PER_KIND = 10

# Finding kinds, in the order reports list them, with what each means.
KINDS = {
    "interpreter": "the prefix does not carry its own interpreter and standard library",
    "libpython": "an ELF file's libpython does not resolve under the prefix",
    "library": "a NEEDED library resolves outside the prefix and outside Debian's library directories",
    "runpath": "a RUNPATH/RPATH entry points outside the prefix and Debian's library directories",
    "shebang": "a script's #! runs a Python outside the prefix",
    "symlink": "code under the prefix is a symbolic link to a file outside it",
    "build-path": "a file holds the path of the directory the package was built in",
    "maintscript": "a maintainer script would remove a directory the package does not own alone",
    "module": "a module was imported from outside the prefix",
    "sys.path": "the interpreter's sys.path reaches outside the prefix",
    "mapped": "the interpreter mapped a library or executable from outside the prefix",
    "sbom": "the package carries no SBOM, or its SBOM names a file or version the tree does not hold",
}

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

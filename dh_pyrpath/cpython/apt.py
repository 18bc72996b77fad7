"""Fetch a CPython upstream tarball from the Debian archive with a private apt setup.

`debian:python3.X` means the .orig.tar.* of Debian's python3.X source
package.  apt verifies it (signed Release -> Sources -> .dsc -> tarball);
the system's apt configuration is never touched: this module writes its own
sources and lists directories, pointing deb-src entries at the Debian
mirror the system already uses.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile

from debian import deb822, debian_support

from dh_pyrpath.contract.runner import run
from dh_pyrpath.errors import PyrpathError

SUITES = ("bullseye", "bookworm", "trixie")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
_SPEC = re.compile(r"^debian:(python3\.\d+)$")


def parse_spec(spec: str) -> str | None:
    """The source package named by a debian:python3.X spec, or None."""
    match = _SPEC.match(spec)
    return match.group(1) if match else None


def system_debian_mirrors(etc: str = "/etc/apt") -> list[tuple[str, str]]:
    """(URI, keyring) of the Debian archive entries in the system's apt sources."""
    found: list[tuple[str, str]] = []
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        with open(path, encoding="utf-8") as fd:
            for entry in deb822.Deb822.iter_paragraphs(fd, use_apt_pkg=False):
                suites = entry.get("Suites", "").split()
                if any(s.split("-")[0] in SUITES + ("sid", "unstable", "stable", "testing") for s in suites) \
                        and "security" not in entry.get("URIs", "") \
                        and not any(s.endswith("-security") for s in suites):
                    for uri in entry.get("URIs", "").split():
                        found.append((uri, entry.get("Signed-By", KEYRING).strip() or KEYRING))
    lists = [os.path.join(etc, "sources.list")] + sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    for path in lists:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fd:
            for line in fd:
                words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb" and words[2].split("-")[0] in SUITES + ("sid",) \
                        and not words[2].endswith("-security"):
                    found.append((words[1], KEYRING))
    unique: list[tuple[str, str]] = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def _apt_options(state: str, sources_dir: str) -> list[str]:
    return [
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::Etc::SourceParts={sources_dir}",
        "-o", f"Dir::State::Lists={state}/lists",
        "-o", f"Dir::Cache={state}/cache",
        "-o", "Dir::State::Status=/var/lib/dpkg/status",
        "-o", "APT::Get::List-Cleanup=0",
        "-o", "Debug::NoLocking=1",
        "-o", "APT::Sandbox::User=" + ("root" if os.geteuid() == 0 else "_apt"),
        "-q",
    ]


def write_private_sources(state: str, mirrors: list[tuple[str, str]]) -> str:
    """Write deb-src entries for the mirrors into a private sources directory."""
    sources_dir = os.path.join(state, "sources.list.d")
    os.makedirs(sources_dir, exist_ok=True)
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(state, sub), exist_ok=True)
    with open(os.path.join(sources_dir, "debian-src.sources"), "w", encoding="utf-8") as fd:
        for uri, keyring in mirrors:
            fd.write(f"Types: deb-src\nURIs: {uri}\nSuites: {' '.join(SUITES)}\nComponents: main\nSigned-By: {keyring}\n\n")
    return sources_dir


def fetch_orig(package: str, into: str, log: str) -> str:
    """Download (once) and return the path of <package>'s .orig.tar.* under into/."""
    into = os.path.abspath(into)  # apt takes relative Dir:: paths as relative to its own directories
    existing = _orig_in(into, package)
    if existing:
        return existing
    mirrors = system_debian_mirrors()
    if not mirrors:
        raise PyrpathError(
            f"debian:{package}: no Debian archive entry in /etc/apt/sources.list*; "
            "add one, or give Python-Source a tarball path"
        )
    os.makedirs(into, exist_ok=True)
    state = os.path.join(into, "apt")
    options = _apt_options(state, write_private_sources(state, mirrors))
    _apt(["apt-get", *options, "update"], log, f"debian:{package}: apt-get update (private lists)")
    with tempfile.TemporaryDirectory(dir=into, prefix=".download-") as tmp:
        _apt(["apt-get", *options, "source", "--download-only", package], log,
             f"debian:{package}: apt-get source --download-only", cwd=tmp)
        orig = _orig_in(tmp, package)
        if not orig:
            raise PyrpathError(f"debian:{package}: apt downloaded no .orig.tar.*; see {log}")
        final = os.path.join(into, os.path.basename(orig))
        os.replace(orig, final)
    return final


def source_version(package: str, orig: str) -> str | None:
    """The Debian version of the source package whose .orig tarball orig is, from the private apt lists.

    None when the lists are gone or no longer name that tarball.
    """
    state = os.path.join(os.path.dirname(os.path.abspath(orig)), "apt")
    sources_dir = os.path.join(state, "sources.list.d")
    if not os.path.isdir(sources_dir):
        return None
    result = run(["apt-cache", *_apt_options(state, sources_dir), "showsrc", package], "apt-cache showsrc",
                 reads=True, check=False)
    if not result.ok:
        return None
    name = os.path.basename(orig)
    versions = [entry["Version"] for entry in deb822.Sources.iter_paragraphs(result.output.splitlines(),
                                                                              use_apt_pkg=False)
                if entry.get("Package") == package and "Version" in entry
                and any(f.get("name") == name for f in entry.get("Files", []))]
    return max(versions, key=debian_support.Version) if versions else None


def _orig_in(directory: str, package: str) -> str | None:
    matches = [p for p in glob.glob(os.path.join(directory, f"{package}_*.orig.tar.*")) if not p.endswith(".asc")]
    return sorted(matches)[-1] if matches else None


def _apt(argv: list[str], log: str, what: str, cwd: str | None = None) -> None:
    """An apt-get step, logged; its failure named by apt's own first E: line."""
    def first_error(output: str) -> str | None:
        errors = [line[2:].strip() for line in output.splitlines() if line.startswith("E:")]
        return f"{what} failed: {errors[0]}" if errors else None
    run(argv, what, log=log, cwd=cwd, explain=first_error)

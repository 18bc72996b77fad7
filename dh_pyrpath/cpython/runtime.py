"""An installed runtime package: the relocatable CPython a site builds once and services Build-Depend on.

A runtime package (pyrpath runtime init, dh_pyrpath/runtime/) installs
under /usr/lib/pyrpath/<name>/ what a cache entry holds: tree/ (the
DESTDIR, CPython configured for the placeholder prefix BUILD_PREFIX),
manifest.json (every path of tree/) and entry.json (the build record, with
a "runtime" part saying where the source came from).  A service that says
`Python-Source: runtime:<name>` gets that tree checked against its manifest
and copied to its stage by dh_pyrpath_buildpython, no compile: the copy is
relocated exactly like a cached build.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

from dh_pyrpath.cpython.cache.entries import MANIFEST, RECORD, TREE, summary
from dh_pyrpath.cpython.cache.manifest import differences, read_manifest, scan
from dh_pyrpath.cpython.relocate import BUILD_PREFIX
from dh_pyrpath.errors import PyrpathError

RUNTIME_ROOT = "/usr/lib/pyrpath"
SPEC = "runtime:"


def parse_runtime(spec: str) -> str | None:
    """The runtime package a Python-Source of the form runtime:<name> names, or None."""
    return spec[len(SPEC):] if spec.startswith(SPEC) else None


def runtime_dir(name: str, root: str = RUNTIME_ROOT) -> str:
    """Where the runtime package <name> installs its tree, manifest and record."""
    return os.path.join(root, name)


@dataclass(frozen=True)
class InstalledRuntime:
    """A runtime package as dpkg knows it, and its build record."""

    name: str
    directory: str
    source: str             # its source package and version: what Static-Built-Using names
    source_version: str
    architecture: str
    record: dict

    @property
    def tree(self) -> str:
        """The DESTDIR: the interpreter is at tree + BUILD_PREFIX."""
        return os.path.join(self.directory, TREE)

    @property
    def version(self) -> str:
        return self.record["version"]

    @property
    def static_built_using(self) -> str:
        return f"{self.source} (= {self.source_version})"


def query_package(name: str) -> dict[str, str] | None:
    """dpkg's status, architecture, source and source version of an installed package; None if unknown."""
    result = subprocess.run(["dpkg-query", "-W", "-f",
                             "${db:Status-Status}\t${Architecture}\t${source:Package}\t${source:Version}\n", name],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    lines = [line.split("\t") for line in result.stdout.splitlines() if line.count("\t") == 3]
    if result.returncode != 0 or not lines:
        return None
    status, arch, source, version = lines[0]
    return {"status": status, "architecture": arch, "source": source, "source_version": version}


def find_runtime(name: str, where: str, host_arch: str, root: str = RUNTIME_ROOT) -> InstalledRuntime:
    """The installed runtime <name>, for host_arch; where is the file and field asking for it (for errors)."""
    package = query_package(name)
    if package is None or package["status"] != "installed":
        raise PyrpathError(f"{where}: runtime:{name} is not installed; add {name} to Build-Depends (build it once "
                           "with pyrpath runtime init and publish it in your apt repository, see pyrpath(1))")
    if package["architecture"] not in (host_arch, "all"):
        raise PyrpathError(f"{where}: runtime:{name} is installed for {package['architecture']}, but this build is "
                           f"for {host_arch}; install {name}:{host_arch} (Build-Depends: {name} does it in a "
                           "clean chroot)")
    directory = runtime_dir(name, root)
    try:
        with open(os.path.join(directory, RECORD), encoding="utf-8") as fd:
            record = json.load(fd)
    except (OSError, ValueError):
        raise PyrpathError(f"{os.path.join(directory, RECORD)}: missing or unreadable, so {name} is damaged or not "
                           f"a runtime package; reinstall it (apt-get install --reinstall {name})") from None
    if record.get("prefix") != BUILD_PREFIX or "runtime" not in record:
        raise PyrpathError(f"{os.path.join(directory, RECORD)}: not the record of a runtime package built by "
                           f"dh-pyrpath (prefix {record.get('prefix')!r}); rebuild {name} with this dh-pyrpath")
    return InstalledRuntime(name, directory, package["source"], package["source_version"],
                            package["architecture"], record)


def damage(runtime: InstalledRuntime) -> list[str]:
    """How the installed tree differs from its manifest (every file hashed); [] when intact."""
    recorded = read_manifest(os.path.join(runtime.directory, MANIFEST))
    if recorded is None:
        return [f"{MANIFEST} missing or unreadable"]
    try:
        actual = scan(runtime.tree)
    except OSError as exc:
        return [f"{TREE} unreadable ({exc.strerror})"]
    return [f"{TREE}/{difference}" for difference in differences(recorded, actual)]


def verify(runtime: InstalledRuntime) -> None:
    """Fail unless the installed tree is exactly what the runtime package shipped."""
    problems = damage(runtime)
    if problems:
        raise PyrpathError(f"{os.path.join(runtime.directory, MANIFEST)}: the installed tree of {runtime.name} does "
                           f"not match it ({summary(problems)}); reinstall it (apt-get install --reinstall "
                           f"{runtime.name}) or find what changed it")

"""What the SBOM needs from the build steps, recorded in the package's state directory.

dh_pyrpath_sbom runs after dh_shlibdeps, long after the CPython source was
resolved and pip ran: each step leaves a small file in
debian/.debhelper/pyrpath/<pkg>/sbom/ for it.  Only facts about what was
built go there (versions, digests, options), never a build path.
"""

from __future__ import annotations

import glob
import json
import os
import urllib.parse
from dataclasses import asdict, dataclass

from packaging.version import InvalidVersion, Version

from . import aptsource
from .cpython import BuildRequest, effective_optimize
from .distinfo import canonical_name
from .errors import PyrpathError
from .relocate import BUILD_PREFIX
from .sbom import CPythonRecord
from .source import sha256_file
from .staging import StagedTree, state_dir

CPYTHON_RECORD = "cpython.json"


def inputs_dir(package: str) -> str:
    return os.path.join(state_dir(package), "sbom")


def pip_report(package: str, step: str) -> str:
    """The absolute path of the `pip install --report` file of one pip step (requirements, project)."""
    os.makedirs(inputs_dir(package), exist_ok=True)
    return os.path.abspath(os.path.join(inputs_dir(package), f"pip-report-{step}.json"))


def record_cpython(package: str, origin: str, source_sha256: str, source_is_directory: bool, source_path: str,
                   request: BuildRequest, prefix: str) -> CPythonRecord:
    """Write cpython.json for the package (called by dh_pyrpath_buildpython)."""
    spec = origin.split(" ", 1)[0]
    debian_package = aptsource.parse_spec(spec)
    debian_version = None
    if debian_package and not source_is_directory:
        debian_version = aptsource.source_version(debian_package, source_path)
    args = tuple(a.replace(BUILD_PREFIX, prefix) for a in request.configure_args())
    record = CPythonRecord(".".join(map(str, request.version)), origin, source_sha256, source_is_directory,
                           debian_version, effective_optimize(request.optimize, request.build), args)
    os.makedirs(inputs_dir(package), exist_ok=True)
    path = os.path.join(inputs_dir(package), CPYTHON_RECORD)
    with open(path + ".new", "w", encoding="utf-8") as fd:
        json.dump(asdict(record), fd, indent=1, sort_keys=True)
    os.replace(path + ".new", path)
    return record


def load_cpython(package: str, command: str) -> CPythonRecord:
    path = os.path.join(inputs_dir(package), CPYTHON_RECORD)
    try:
        with open(path, encoding="utf-8") as fd:
            data = json.load(fd)
    except (OSError, ValueError):
        raise PyrpathError(f"{package}: no record of its CPython ({path} missing); run dh_pyrpath_buildpython "
                           f"again before {command}") from None
    data["configure_args"] = tuple(data["configure_args"])
    return CPythonRecord(**data)


@dataclass(frozen=True)
class PipInstall:
    """What a pip report says of one distribution it installed."""

    sha256: str | None
    direct: bool                # a direct requirement: the project's own wheel, built here


def pip_installs(package: str) -> dict[tuple[str, str], PipInstall]:
    """(canonical name, version) -> what pip installed, from every pip report of the package.

    The project's own wheel is built here and has no stable digest: its
    hash is left out.
    """
    found: dict[tuple[str, str], PipInstall] = {}
    directory = inputs_dir(package)
    names = sorted(n for n in os.listdir(directory) if n.startswith("pip-report-")) if os.path.isdir(directory) else []
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8") as fd:
            report = json.load(fd)
        for item in report.get("install", []):
            metadata = item.get("metadata", {})
            if not (metadata.get("name") and metadata.get("version")):
                continue
            direct = bool(item.get("is_direct"))
            digest = None if direct else archive_sha256(item.get("download_info", {}))
            found[(canonical_name(metadata["name"]), metadata["version"])] = PipInstall(digest, direct)
    return found


def archive_sha256(download_info: dict) -> str | None:
    """The sha256 of a pip report's download_info (pip >= 23 gives `hashes`, pip 22 a `hash` string).

    When pip gives none for a local file (a wheelhouse), the file itself is hashed.
    """
    archive = download_info.get("archive_info")
    if archive is None:
        return None
    if "sha256" in archive.get("hashes", {}):
        return archive["hashes"]["sha256"]
    algorithm, _, value = archive.get("hash", "").partition("=")
    if algorithm == "sha256" and value:
        return value
    url = download_info.get("url", "")
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path) if url.startswith("file:") else ""
    return sha256_file(path) if path and os.path.isfile(path) else None


def report_options(tree: StagedTree, step: str) -> list[str]:
    """`--report <file>` for a pip install step, when the staged pip has it (pip 22.2 and later)."""
    pips = glob.glob(os.path.join(glob.escape(tree.site_packages), "pip-*.dist-info"))
    versions = [os.path.basename(p)[len("pip-"):-len(".dist-info")] for p in pips]
    try:
        if not versions or Version(versions[0]) < Version("22.2"):
            return []
    except InvalidVersion:
        return []
    return ["--report", pip_report(tree.package, step)]

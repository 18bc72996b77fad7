"""What the SBOM needs from the build steps, recorded in the package's state directory.

dh_pyrpath_sbom runs after dh_shlibdeps, long after the CPython source was
resolved and pip ran: each step leaves a small file in
debian/.debhelper/pyrpath/<pkg>/sbom/ for it.  Only facts about what was
built go there (versions, digests, options), never a build path.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import asdict, dataclass


from dh_pyrpath.cpython import apt
from dh_pyrpath.cpython.build import BuildRequest, effective_optimize
from dh_pyrpath.cpython.relocate import BUILD_PREFIX
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.hashing import sha256_file
from dh_pyrpath.sbom.distinfo import canonical_name
from dh_pyrpath.sbom.model import CPythonRecord
from dh_pyrpath.staging import sbom_inputs_dir

CPYTHON_RECORD = "cpython.json"


def record_cpython(package: str, origin: str, source_sha256: str, source_is_directory: bool, source_path: str,
                   request: BuildRequest, prefix: str) -> CPythonRecord:
    """Write cpython.json for the package (called by dh_pyrpath_buildpython)."""
    spec = origin.split(" ", 1)[0]
    debian_package = apt.parse_spec(spec)
    debian_version = None
    if debian_package and not source_is_directory:
        debian_version = apt.source_version(debian_package, source_path)
    args = tuple(a.replace(BUILD_PREFIX, prefix) for a in request.configure_args())
    record = CPythonRecord(".".join(map(str, request.version)), origin, source_sha256, source_is_directory,
                           debian_version, effective_optimize(request.optimize, request.build), args)
    return save_cpython(package, record)


def save_cpython(package: str, record: CPythonRecord) -> CPythonRecord:
    """Write cpython.json for the package."""
    os.makedirs(sbom_inputs_dir(package), exist_ok=True)
    path = os.path.join(sbom_inputs_dir(package), CPYTHON_RECORD)
    with open(path + ".new", "w", encoding="utf-8") as fd:
        json.dump(asdict(record), fd, indent=1, sort_keys=True)
    os.replace(path + ".new", path)
    return record


def load_cpython(package: str, command: str) -> CPythonRecord:
    path = os.path.join(sbom_inputs_dir(package), CPYTHON_RECORD)
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
    directory = sbom_inputs_dir(package)
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

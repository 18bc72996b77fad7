"""Find, verify and unpack the CPython source a package asks for."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass

from dh_pyrpath.contract.runner import run
from dh_pyrpath.cpython import apt
from dh_pyrpath.errors import FieldError
from dh_pyrpath.hashing import sha256_file, sha256_tree

SUPPORTED = ((3, 9), (3, 14))
_TARBALL = re.compile(r"\.(tar\.(gz|xz|bz2|zst)|tgz)$")
_VERSION = re.compile(rb'#define\s+PY_VERSION\s+"(\d+)\.(\d+)\.(\d+)[^"]*"')


@dataclass(frozen=True)
class PythonSource:
    """A verified CPython source: a tarball or a directory, with its digest."""

    path: str
    sha256: str
    is_directory: bool
    origin: str


VENDORED = "cpython"


def vendored_source(spec: str) -> PythonSource | None:
    """The cpython/ directory `pyrpath vendor` unpacked, when Python-Source names a download.

    A source package built offline carries the CPython that debian:python3.X
    or the https URL names as its orig-cpython component; that copy is used
    instead of fetching, provided it is the CPython version asked for.
    """
    if not (apt.parse_spec(spec) or spec.startswith("https://")):
        return None
    if not os.path.isfile(os.path.join(VENDORED, "configure")):
        return None
    source = PythonSource(os.path.abspath(VENDORED), sha256_tree(VENDORED), True, f"{VENDORED}/ (vendored {spec})")
    package = apt.parse_spec(spec)
    if package:
        wanted = package[len("python"):]
        found = ".".join(map(str, read_version(source)[:2]))
        if found != wanted:
            raise FieldError("Python-Source", f"{VENDORED}/ holds CPython {found} but {spec} asks for {wanted}; "
                                                "run pyrpath vendor again")
    return source


def resolve_source(spec: str, sha256: str | None, downloads: str, log: str) -> PythonSource:
    """Turn Python-Source (and Python-Source-Sha256) into a local, verified tarball or directory."""
    package = apt.parse_spec(spec)
    if spec.startswith("debian:") and not package:
        raise FieldError("Python-Source", f"{spec!r} is not of the form debian:python3.X")
    if package:
        version = tuple(int(x) for x in package[len("python"):].split("."))
        check_supported(version)  # type: ignore[arg-type]
        tarball = apt.fetch_orig(package, os.path.join(downloads, "debian"), log)
        return _verified_tarball(tarball, spec, sha256)
    if spec.startswith("https://"):
        return _verified_tarball(download(spec, sha256, downloads), spec, sha256)
    if os.path.isdir(spec):
        if not os.path.isfile(os.path.join(spec, "configure")):
            raise FieldError("Python-Source", f"{spec}/ has no configure script; point it at an unpacked CPython source tree")
        return PythonSource(os.path.abspath(spec), sha256_tree(spec), True, spec)
    if os.path.isfile(spec):
        if not _TARBALL.search(spec):
            raise FieldError("Python-Source", f"{spec} is not a .tar.gz/.tar.xz/.tar.bz2 tarball")
        return _verified_tarball(os.path.abspath(spec), spec, sha256)
    if spec == VENDORED:
        raise FieldError("Python-Source", "not set and there is no cpython/ directory; set it to debian:python3.11, a tarball or an https URL",
        )
    raise FieldError("Python-Source", f"{spec} does not exist; fix the path (relative to the source tree)")


def _verified_tarball(path: str, origin: str, expected: str | None) -> PythonSource:
    actual = sha256_file(path)
    if expected and actual != expected:
        raise FieldError("Python-Source-Sha256", f"{os.path.basename(path)} has sha256 {actual}, expected {expected}; fetch the right tarball or fix the checksum",
        )
    return PythonSource(path, actual, False, origin)


def download(url: str, expected: str | None, downloads: str) -> str:
    """Download an https URL into the download cache, verified before it is kept."""
    assert expected
    final = os.path.join(downloads, "url", expected, os.path.basename(url.split("?")[0]) or "cpython.tar")
    if os.path.isfile(final) and sha256_file(final) == expected:
        return final
    os.makedirs(os.path.dirname(final), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(final), prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        actual = sha256_file(tmp)
        if actual != expected:
            raise FieldError("Python-Source-Sha256", f"{url} has sha256 {actual}, expected {expected}; fix the URL or checksum")
        os.replace(tmp, final)
    except OSError as exc:
        raise FieldError("Python-Source", f"download of {url} failed ({exc}); check the URL and the network") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


def unpack(source: PythonSource, into: str) -> str:
    """Unpack or copy the source into a fresh directory; return its path."""
    os.makedirs(into)
    if source.is_directory:
        shutil.copytree(source.path, into, symlinks=True, dirs_exist_ok=True)
    else:
        result = run(["tar", "-xf", source.path, "-C", into, "--strip-components=1", "--no-same-owner"],
                     f"unpacking {source.origin}", check=False, env=dict(os.environ, LC_ALL="C.UTF-8"))  # English, parsed
        if not result.ok:
            raise FieldError("Python-Source", unpack_failure(source.origin, into, result.output))
    if not os.path.isfile(os.path.join(into, "configure")):
        raise FieldError("Python-Source", f"{source.origin} holds no configure script; is it a CPython source tarball?")
    return into


def mount_point(path: str) -> str:
    """The mount point of the file system holding path."""
    path = os.path.abspath(path)
    while not os.path.ismount(path):
        path = os.path.dirname(path)
    return path


def unpack_failure(origin: str, into: str, stderr: str) -> str:
    """What to say when tar fails: a full disk is not a damaged tarball."""
    lines = [line for line in stderr.strip().splitlines() if "Exiting with failure" not in line] or ["tar failed"]
    if any(marker in line for line in lines for marker in ("No space left on device", "Wrote only", "Cannot write")):
        space, mount = os.statvfs(into), mount_point(into)
        if space.f_bavail * space.f_frsize < 1 << 20:
            return (f"{origin}: cannot unpack: No space left on device on {mount}; "
                    "check free space there (or point DH_PYRPATH_CACHE elsewhere)")
        return f"{origin}: cannot unpack into {into} ({lines[-1]}); check that {mount} is writable"
    return f"{origin}: cannot unpack ({lines[-1]}); the tarball is damaged, fetch it again"


def read_version(source: PythonSource) -> tuple[int, int, int]:
    """CPython's version from Include/patchlevel.h, checked against what we support."""
    if source.is_directory:
        try:
            with open(os.path.join(source.path, "Include", "patchlevel.h"), "rb") as fd:
                header = fd.read()
        except OSError:
            header = b""
    else:
        result = run(["tar", "-xOf", source.path, "--wildcards", "--no-wildcards-match-slash", "*/Include/patchlevel.h"],
                     f"reading {source.origin}", reads=True, check=False, stderr_apart=True)
        if not result.ok:
            detail = (result.errors.strip().splitlines() or ["tar failed"])[-1]
            raise FieldError("Python-Source", f"{source.origin}: cannot read the tarball ({detail}); "
                                                "it is damaged or not a CPython source tarball, fetch it again")
        header = result.raw
    match = _VERSION.search(header)
    if not match:
        raise FieldError("Python-Source", f"{source.origin} has no Include/patchlevel.h; is it a CPython source?")
    version = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    check_supported(version[:2])
    return version


def check_supported(version: tuple[int, int]) -> None:
    low, high = SUPPORTED
    if not low <= tuple(version[:2]) <= high:
        shown = ".".join(map(str, version[:2]))
        raise FieldError("Python-Source", f"CPython {shown} is not supported; use a version from {low[0]}.{low[1]} to {high[0]}.{high[1]}",
        )

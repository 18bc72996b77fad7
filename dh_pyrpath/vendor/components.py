"""dpkg-source component tarballs: <src>_<ver>.orig-<name>.tar.* unpacked into <name>/.

With source format 3.0 (quilt), dpkg-source unpacks each component
tarball into a directory of that name (stripping a single top-level
directory).  `pyrpath vendor` writes two of them, cpython and wheels,
beside the main orig tarball; tarballs it makes itself are deterministic
(sorted names, fixed times and owners) so that unchanged inputs give the
same bytes.
"""

from __future__ import annotations

import glob
import io
import lzma
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from debian.changelog import Changelog

from dh_pyrpath.contract.runner import run
from dh_pyrpath.errors import PyrpathError

CHANGELOG = "debian/changelog"
FORMAT = "debian/source/format"
# What is never part of the main orig tarball: packaging, VCS, and the components.
NOT_UPSTREAM = ("debian", ".git", ".pc", "cpython", "wheels")


@dataclass(frozen=True)
class SourceVersion:
    """The source package's name, upstream version and changelog time."""

    source: str
    upstream: str
    timestamp: int

    def orig(self, component: str | None = None) -> str:
        """The orig tarball's name without its compression suffix, in the parent directory."""
        suffix = f"-{component}" if component else ""
        return os.path.join("..", f"{self.source}_{self.upstream}.orig{suffix}.tar")


def read_source_version(changelog: str = CHANGELOG, source_format: str = FORMAT) -> SourceVersion:
    """Name and upstream version from debian/changelog; the format must allow components."""
    try:
        with open(source_format, encoding="utf-8") as fd:
            fmt = fd.read().strip()
    except OSError:
        fmt = "1.0"
    if fmt != "3.0 (quilt)":
        raise PyrpathError(f"{source_format}: {fmt!r} cannot carry component tarballs; write '3.0 (quilt)' in it")
    try:
        with open(changelog, encoding="utf-8") as fd:
            entry = Changelog(fd, max_blocks=1, strict=True)
        version = entry.version
        date = entry.date
    except (OSError, ValueError) as exc:
        raise PyrpathError(f"{changelog}: cannot read the top entry ({exc}); fix the changelog") from None
    if not version.debian_revision:
        raise PyrpathError(f"{changelog}: version {version} is native; 3.0 (quilt) needs an upstream version "
                           f"and a revision, e.g. {version.upstream_version}-1")
    return SourceVersion(entry.package, version.upstream_version, int(parsedate_to_datetime(date).timestamp()))


def existing(stem: str) -> list[str]:
    """The tarballs stem.* present (any compression), signatures aside."""
    return sorted(p for p in glob.glob(glob.escape(stem) + ".*") if not p.endswith(".asc"))


def deterministic_tarball(root: str, top: str, timestamp: int, exclude: tuple[str, ...] = ()) -> bytes:
    """An .tar.xz of root's files under top/: sorted, owned by root, dated timestamp."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add(path: str, arcname: str) -> None:
            info = tar.gettarinfo(path, arcname)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = timestamp
            if info.isreg():
                info.mode = 0o755 if info.mode & 0o111 else 0o644
                with open(path, "rb") as fd:
                    tar.addfile(info, fd)
            else:
                if info.isdir():
                    info.mode = 0o755
                tar.addfile(info)

        add(root, top)
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath == root:
                dirnames[:] = [d for d in dirnames if d not in exclude]
                filenames = [f for f in filenames if f not in exclude]
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                add(path, os.path.join(top, os.path.relpath(path, root)))
    return lzma.compress(buf.getvalue(), preset=6)


def publish(stem: str, suffix: str, data: bytes | None = None, copy_from: str | None = None) -> tuple[str, bool]:
    """Write stem+suffix (bytes, or a copy of a file) unless it already holds the same; drop other compressions.

    Returns (path, changed).  The file is written beside itself and renamed,
    so an interrupted run leaves either the old tarball or the new one.
    """
    path = stem + suffix
    for other in existing(stem):
        if other != path:
            os.unlink(other)
    if data is None:
        assert copy_from is not None
        with open(copy_from, "rb") as fd:
            data = fd.read()
    if os.path.isfile(path):
        with open(path, "rb") as fd:
            if fd.read() == data:
                return path, False
    fd_, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".pyrpath-")
    try:
        with os.fdopen(fd_, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path, True


def unpack_component(tarball: str, directory: str) -> None:
    """Replace directory with the tarball's content, as dpkg-source would unpack it."""
    parent = os.path.dirname(os.path.abspath(directory))
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(directory)}-")
    try:
        result = run(["tar", "-xf", tarball, "-C", tmp, "--no-same-owner"], f"unpacking {tarball}", check=False)
        if not result.ok:
            detail = (result.output.strip().splitlines() or ["tar failed"])[-1]
            raise PyrpathError(f"{tarball}: cannot unpack ({detail}); remove it and run pyrpath vendor again")
        entries = os.listdir(tmp)
        content = os.path.join(tmp, entries[0]) if len(entries) == 1 and os.path.isdir(os.path.join(tmp, entries[0])) else tmp
        if os.path.lexists(directory):
            shutil.rmtree(directory)
        os.rename(content, directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

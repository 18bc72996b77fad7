"""Which directories may never be a Prefix: the one list config, the maintainer scripts and audit share.

A prefix is removed on purge, so it must be a directory of the package's
own: never a directory of the file-system hierarchy that other packages,
the administrator or the kernel put things in.
"""

from __future__ import annotations

import os
import re

# FHS top-level directories (and /lib32, /lib64, /libx32...: any /lib*).
FHS_TOP = ("/bin", "/boot", "/dev", "/etc", "/home", "/media", "/mnt", "/opt", "/proc", "/root",
           "/run", "/sbin", "/srv", "/sys", "/tmp", "/var")
_LIB_TOP = re.compile(r"^/lib[^/]*$")
# The distribution's own trees below /var: the directories in them are other packages'.
VAR_TREES = ("/var/lib", "/var/opt", "/var/cache", "/var/log", "/var/spool", "/var/tmp", "/var/mail",
             "/var/local", "/var/backups", "/var/run", "/var/lock")
# Virtual or volatile file systems: nothing below them survives a reboot or belongs to a package.
VOLATILE = ("/proc", "/sys", "/dev", "/run", "/tmp")


def _below(path: str, top: str) -> bool:
    return path.startswith(top + "/")


def system_directory(path: str) -> str | None:
    """Why path (absolute) is a system directory that a package must never remove; None when it is not."""
    normal = os.path.normpath(path)
    if normal in ("/", "//"):
        return "the root directory"
    if normal == "/usr/local" or _below(normal, "/usr/local"):
        return "the local administrator's /usr/local"
    if normal == "/usr" or _below(normal, "/usr"):
        return "inside the distribution's /usr"
    if normal in FHS_TOP or _LIB_TOP.match(normal):
        return "an FHS top-level directory"
    if _below(normal, "/etc"):
        return "inside /etc, the system's configuration"
    if normal in VAR_TREES:
        return "a directory of the distribution's own /var tree"
    top = "/" + normal.split("/")[1]
    if top in VOLATILE:
        return f"inside {top}, a virtual or volatile file system"
    if top in ("/bin", "/sbin") or _LIB_TOP.match(top):
        return f"inside {top}, part of the distribution's /usr"
    return None


def suggestion(path: str, package: str) -> str:
    """A prefix of the package's own near path: <path>/<package> where that is allowed, and /opt/<package>."""
    own = os.path.join(os.path.normpath(path), package)
    if system_directory(own) is None and own != f"/opt/{package}":
        return f"{own} or /opt/{package}"
    return f"/opt/{package}"

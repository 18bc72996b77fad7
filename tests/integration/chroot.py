"""A clean bookworm chroot tarball for sbuild's unshare mode, made once and kept between runs.

It lives in $DH_PYRPATH_TEST_CACHE (default ~/.cache/dh-pyrpath-tests) and is
made again when older than a week, so that its package lists stay close
to the mirror's.  dh-pyrpath's own .deb is what `make deb` built.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time

from debs import ROOT

sys.path.insert(0, ROOT)
from dh_pyrpath.cpython.apt import system_debian_mirrors  # noqa: E402

MAX_AGE = 7 * 24 * 3600


def cache_dir() -> str:
    return os.environ.get("DH_PYRPATH_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dh-pyrpath-tests")


def host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def bookworm_tarball() -> str:
    """The cached chroot tarball, made with mmdebstrap (buildd variant) when missing or old."""
    path = os.path.join(cache_dir(), f"bookworm-{host_arch()}.tar.zst")
    if os.path.isfile(path) and time.time() - os.path.getmtime(path) < MAX_AGE:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mirror = system_debian_mirrors()[0][0]
    partial = path + ".part.tar.zst"
    result = subprocess.run(["mmdebstrap", "--variant=buildd", "--quiet", "bookworm", partial, mirror],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"mmdebstrap failed:\n{result.stderr[-3000:]}"
    os.replace(partial, path)
    return path


def tool_deb() -> str:
    """dh-pyrpath's .deb from `make deb` (make check builds it first)."""
    debs = sorted(glob.glob(os.path.join(ROOT, "build", "pkg", "dh-pyrpath_*_all.deb")))
    if not debs:
        subprocess.run(["make", "-C", ROOT, "deb"], check=True, capture_output=True)
        debs = sorted(glob.glob(os.path.join(ROOT, "build", "pkg", "dh-pyrpath_*_all.deb")))
    return debs[-1]


def tool_debs() -> list[str]:
    """dh-pyrpath and dh-pyrpath-compile (the Build-Depends of sources that compile CPython), from `make deb`."""
    deb = tool_deb()
    compile_deb = deb.replace("/dh-pyrpath_", "/dh-pyrpath-compile_")
    return [deb, compile_deb] if os.path.isfile(compile_deb) else [deb]


def sbuild(dsc: str, build_dir: str, extra_debs: list[str], extra_repositories: list[str] = (),
           extra_args: list[str] = ()) -> subprocess.CompletedProcess:
    """sbuild in unshare mode (network off while building), in the cached chroot.

    extra_repositories are sources.list lines (apt installs the build dependencies with the host's
    network, so a repository served on 127.0.0.1 is reachable; the build itself has no network).
    """
    argv = ["sbuild", "--chroot-mode=unshare", f"--chroot={bookworm_tarball()}", "--dist=bookworm",
            "--no-run-lintian", "--no-run-autopkgtest", "--no-run-piuparts", "--no-apt-upgrade",
            f"--build-dir={build_dir}", *(f"--extra-package={deb}" for deb in extra_debs),
            *(f"--extra-repository={line}" for line in extra_repositories), *extra_args, dsc]
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))})

"""The bad-input catalogue: every way a maintainer can get dh-pyrpath's input wrong.

Each case runs a real executable from debhelper/ in a throwaway source tree
and asserts what every failure must look like: a non-zero exit, exactly one
`<command>: error:` line that names the file, field or option at fault and
what to do, no traceback, and nothing left behind (package tree, cache
entry, staging state) except the build logs the error line points to.
README.md's Troubleshooting section lists the key message of every case
(test_readme_troubleshooting_lists_every_case).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from test_errors import BIN, ROOT, fake_cpython_tarball

PKG = "svc-arch"
PYRPATH_FILE = f"debian/{PKG}.pyrpath"
REQS = f"debian/{PKG}.requirements.txt"
STATE = f"debian/.debhelper/pyrpath/{PKG}"
ROOT_README = os.path.join(ROOT, "README.md")
CHANGELOG = """\
demo (1.0-1) unstable; urgency=medium

  * Test.

 -- Test <test@example.org>  Tue, 24 Nov 2026 07:00:00 +0000
"""


@dataclass(frozen=True)
class Case:
    """One bad input and what its error line must say."""

    name: str
    command: str                      # executable in debhelper/, with an action for pyrpath
    key: str                          # the fixed part of the message, listed in README's Troubleshooting
    where: str                        # the file, field or option the line names
    fix: str                          # the words that say what to do
    files: dict[str, str | bytes] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None
    wrap: tuple[str, ...] = ()        # run the command inside this (e.g. a mount namespace)
    context: str = ""                 # shown before the error line (the failed step's log tail)


# --- fakes: a CPython that "builds" in milliseconds, a staged tree whose python is a script ---

FAKE_PYTHON = """#!/bin/sh
here=$(cd "$(dirname "$0")/.." && pwd)
os_py=%s
echo '{"missing": %s, "libpython": %s, "prefix": "'"$here"'", "files": {"os": "'"${os_py:-$here/lib/python3.11/os.py}"'"}}'
"""

FAKE_CONFIGURE = """#!/bin/sh
%s
for a; do case "$a" in --prefix=*) prefix=${a#--prefix=};; esac; done
printf 'all:\\n\\t@true\\ninstall:\\n\\tmkdir -p $(DESTDIR)%%s/bin $(DESTDIR)%%s/lib/python3.11\\n\\tcp fakepython $(DESTDIR)%%s/bin/python3.11\\n' \
    "$prefix" "$prefix" "$prefix" > Makefile
"""


def fake_buildable_cpython(path: Path, missing: list[str] = (), configure_head: str = "",
                           libpython: list[str] = (), os_py: str = "") -> None:
    """A CPython-shaped tarball whose configure/make/make install stage a fake interpreter.

    It reports what a static 3.11 reports (no libpython mapped, os.py under its prefix) unless told otherwise.
    """
    members = {
        "Python-3.11.2/configure": (FAKE_CONFIGURE % configure_head, 0o755),
        "Python-3.11.2/Include/patchlevel.h": ('#define PY_VERSION "3.11.2"\n', 0o644),
        "Python-3.11.2/fakepython": (FAKE_PYTHON % (os_py, json.dumps([[m, f"No module named '{m}'"] for m in missing]),
                                                    json.dumps(list(libpython))), 0o755),
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, (text, mode) in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))


def staged_tree(tmp: Path, python: str, prefix: str = f"/opt/{PKG}") -> None:
    """What dh_pyrpath_buildpython leaves: the stage (<state>/stage<prefix>) and staged.json."""
    top = tmp / f"{STATE}/stage{prefix}"
    (top / "bin").mkdir(parents=True)
    (top / "lib/python3.11/site-packages").mkdir(parents=True)
    (top / "bin/python3.11").write_text(python)
    (top / "bin/python3.11").chmod(0o755)
    (tmp / STATE).mkdir(parents=True, exist_ok=True)
    (tmp / STATE / "staged.json").write_text(json.dumps(
        {"package": PKG, "destdir": f"{STATE}/stage", "prefix": prefix, "version": "3.11.2",
         "build_dirs": ["/nonexistent/build"]}))


def sbom_inputs(tmp: Path, leak: bool = False) -> None:
    """The tree dh_pyrpath_install placed and the CPython record dh_pyrpath_sbom reads; with leak, a METADATA
    naming the build path."""
    staged_tree(tmp, "")
    shutil.copytree(tmp / STATE / "stage", tmp / f"debian/{PKG}", symlinks=True, dirs_exist_ok=True)
    (tmp / STATE / "sbom").mkdir()
    (tmp / STATE / "sbom/cpython.json").write_text(json.dumps(
        {"version": "3.11.2", "origin": "debian:python3.11", "source_sha256": "0" * 64, "source_is_directory": False,
         "debian_source_version": None, "optimize": "none", "configure_args": []}))
    if leak:
        dist_info = tmp / f"debian/{PKG}/opt/{PKG}/lib/python3.11/site-packages/leaky-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(f"Name: leaky\nVersion: 1.0\nLicense: see {tmp}/LICENSE\n")


def failing_pip(output: str) -> Callable[[Path], None]:
    """A staged tree whose interpreter prints pip's output and fails, as pip would."""
    script = "#!/bin/sh\ncat <<'EOF'\n" + output + "\nEOF\nexit 1\n"
    return lambda tmp: staged_tree(tmp, script)


PIP_NOT_FOUND = """\
Looking in links: /src/wheels
ERROR: Could not find a version that satisfies the requirement idna==3.7 (from versions: none)
ERROR: No matching distribution found for idna==3.7"""

PIP_SDIST_FAILS = """\
Processing ./wheels/simplejson-3.19.3.tar.gz
Building wheels for collected packages: simplejson
  error: subprocess-exited-with-error
  x Building wheel for simplejson (pyproject.toml) did not run successfully.
  simplejson/_speedups.c:1:10: fatal error: Python.h: No such file or directory
  ERROR: Failed building wheel for simplejson
ERROR: Could not build wheels for simplejson, which is required to install pyproject.toml-based projects"""

PIP_BAD_HASH = """\
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    idna==3.7 from file:///src/wheels/idna-3.7-py3-none-any.whl (from -r /src/debian/svc-arch.requirements.txt (line 1)):
        Expected sha256 aaaa
             Got        bbbb
"""


def tarball(name: str, **kwargs) -> Callable[[Path], None]:
    return lambda tmp: fake_cpython_tarball(str(tmp / name), **kwargs)


def buildable(missing: list[str] = (), configure_head: str = "", libpython: list[str] = (),
              os_py: str = "") -> Callable[[Path], None]:
    return lambda tmp: fake_buildable_cpython(tmp / "cpython.tar.gz", list(missing), configure_head, libpython, os_py)


def source_dir_without_configure(tmp: Path) -> None:
    (tmp / "Python-3.11.2").mkdir()
    (tmp / "Python-3.11.2/README.rst").write_text("not configured\n")


def in_tmpfs(options: str) -> tuple[str, ...]:
    """Run with the cache on a small tmpfs of its own (a private mount namespace)."""
    return ("unshare", "-m", "sh", "-c", f'mkdir -p cache && mount -t tmpfs -o {options} tmpfs cache && exec "$@"',
            "in-tmpfs")


HTTPS_SOURCE = "Python-Source: https://www.python.org/ftp/python/3.11.2/Python-3.11.2.tar.xz\n"
B, P, I = "dh_pyrpath_buildpython", "dh_pyrpath_pipinstall", "dh_pyrpath_install"
S = "dh_pyrpath_sbom"

CASES = [
    # configuration file
    Case("unknown-field", B, "unknown field", f"{PYRPATH_FILE}:1", "known fields:", {PYRPATH_FILE: "Frob: 1\n"}),
    Case("field-given-twice", B, "given twice; keep one", "Prefix", "keep one",
         {PYRPATH_FILE: "Prefix: /opt/a\nPrefix: /opt/b\n"}),
    Case("not-a-field-line", B, "not a 'Field: value' line", f"{PYRPATH_FILE}:1", "'Field: value'",
         {PYRPATH_FILE: "Prefix /opt/a\n"}),
    Case("two-paragraphs", B, "a .pyrpath file holds exactly one", PYRPATH_FILE,
         "remove the blank line", {PYRPATH_FILE: "Prefix: /opt/a\n\nLinks: x\n"}),
    Case("config-not-utf8", B, "not UTF-8 text; save it as UTF-8", PYRPATH_FILE, "save it as UTF-8",
         {PYRPATH_FILE: b"Prefix: /opt/\xff\n"}),
    Case("arch-all-package", B, "is Architecture: all but will carry a compiled CPython", "debian/svc-doc.pyrpath",
         "make it Architecture: any", {"debian/svc-doc.pyrpath": ""}, ("-psvc-doc",)),
    Case("prefix-not-absolute", B, "is not absolute", "Prefix", "use e.g. /opt/<pkg>", {PYRPATH_FILE: "Prefix: opt/a\n"}),
    Case("prefix-inside-usr", B, "is a system directory", "Prefix: /usr/lib/svc", "such as /opt/svc-arch",
         {PYRPATH_FILE: "Prefix: /usr/lib/svc\n"}),
    *(Case(f"prefix-system-directory-{top.strip('/').replace('/', '-')}", B, "is a system directory",
           f"Prefix: {top} is a system directory", f"use a directory of its own such as {fix}",
           {PYRPATH_FILE: f"Prefix: {top}\n"})
      for top, fix in (("/etc", "/opt/svc-arch"), ("/opt", "/opt/svc-arch"),
                       ("/srv", "/srv/svc-arch or /opt/svc-arch"), ("/var/lib", "/var/lib/svc-arch or /opt/svc-arch"),
                       ("/usr/local", "/opt/svc-arch"), ("/etc/svc", "/opt/svc-arch"))),
    Case("bytecode-unknown", B, "is not one of install, build", "Bytecode", "install, build",
         {PYRPATH_FILE: "Bytecode: runtime\n"}),
    Case("prefix-not-normalised", B, "is not a normalised path", "Prefix", "write /etc",
         {PYRPATH_FILE: "Prefix: /opt/../etc\n"}),
    Case("install-project-not-boolean", B, "is neither yes nor no", "Install-Project", "neither yes nor no",
         {PYRPATH_FILE: "Install-Project: maybe\n"}),
    Case("install-project-without-project", B, "the source tree has no pyproject.toml or setup.py",
         "Install-Project", "add one or say no", {PYRPATH_FILE: "Install-Project: yes\n"}),
    Case("configure-option-managed", B, "is managed by dh-pyrpath", "Configure-Options", "use Prefix instead",
         {PYRPATH_FILE: "Configure-Options: --prefix=/x\n"}),
    Case("configure-options-quoting", B, "check the quoting", "Configure-Options", "check the quoting",
         {PYRPATH_FILE: "Configure-Options: 'unterminated\n"}),
    Case("links-not-a-name", B, "is not a script name", "Links", "list names from <Prefix>/bin",
         {PYRPATH_FILE: "Links: ../evil\n"}),
    Case("wheelhouse-missing", B, "is not a directory; create it or fix the path", "Wheelhouse", "create it or fix the path",
         {PYRPATH_FILE: "Wheelhouse: nowhere\n"}),
    Case("requirements-missing", B, "does not exist; fix the path", "Requirements", "fix the path",
         {PYRPATH_FILE: "Requirements: nope.txt\n"}),
    Case("test-requirements-missing", B, "does not exist; fix the path", "Test-Requirements", "fix the path",
         {PYRPATH_FILE: "Test-Command: true\nTest-Requirements: nope.txt\n"}),
    Case("test-requirements-without-command", B, "given without Test-Command", "Test-Requirements",
         "add the command that runs the tests", {PYRPATH_FILE: "Test-Requirements: debian/tests.txt\n",
                                                 "debian/tests.txt": "pytest==8.3.3\n"}),
    # CPython source
    Case("source-missing", B, "does not exist; fix the path", "Python-Source", "fix the path",
         {PYRPATH_FILE: "Python-Source: missing.tar.gz\n"}),
    Case("source-not-set", B, "not set and there is no cpython/ directory", "Python-Source",
         "set it to debian:python3.11", {PYRPATH_FILE: ""}),
    Case("source-dir-without-configure", B, "has no configure script", "Python-Source",
         "point it at an unpacked CPython source tree", {PYRPATH_FILE: "Python-Source: Python-3.11.2\n"},
         prepare=source_dir_without_configure),
    Case("source-not-a-tarball", B, "is not a .tar.gz/.tar.xz/.tar.bz2 tarball", "Python-Source", "tarball",
         {PYRPATH_FILE: "Python-Source: README.txt\n", "README.txt": "hello\n"}),
    Case("url-without-sha256", B, "an https URL needs Python-Source-Sha256", "Python-Source", "the tarball's sha256",
         {PYRPATH_FILE: HTTPS_SOURCE}),
    Case("plain-http-url", B, "plain http is not accepted", "Python-Source", "use an https URL",
         {PYRPATH_FILE: "Python-Source: http://example.org/Python.tgz\nPython-Source-Sha256: " + "a" * 64 + "\n"}),
    Case("sha256-malformed", B, "is not 64 hex digits", "Python-Source-Sha256", "paste the output of sha256sum",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\nPython-Source-Sha256: abc\n"}),
    Case("checksum-mismatch", B, "fetch the right tarball or fix the checksum", "Python-Source-Sha256", "fetch the right tarball or fix the checksum",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\nPython-Source-Sha256: " + "0" * 64 + "\n"},
         prepare=tarball("cpython.tar.gz")),
    Case("truncated-tarball", B, "cannot read the tarball", "Python-Source", "fetch it again",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"}, prepare=tarball("cpython.tar.gz", truncate=True)),
    Case("debian-spec-malformed", B, "is not of the form debian:python3.X", "Python-Source", "debian:python3.X",
         {PYRPATH_FILE: "Python-Source: debian:perl\n"}),
    Case("unsupported-python-version", B, "is not supported; use a version from", "Python-Source",
         "use a version from 3.9", {PYRPATH_FILE: "Python-Source: debian:python3.8\n"}),
    Case("unsupported-version-in-tarball", B, "is not supported; use a version from", "Python-Source",
         "use a version from 3.9", {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"},
         prepare=tarball("cpython.tar.gz", version="3.8.18")),
    # building CPython
    Case("missing-c-compiler", B, "CPython configure failed", f"{STATE}/cpython-build.log", "full log:",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"}, env={"CC": "/nonexistent/gcc"},
         context="configure: error: no acceptable C compiler found",
         prepare=buildable(configure_head='command -v "${CC:-cc}" >/dev/null || '
                                          '{ echo "configure: error: no acceptable C compiler found in \\$PATH"; '
                                          'exit 1; }')),
    Case("missing-dev-package", B, "stdlib modules did not build", "libssl-dev",
         "add the -dev packages to Build-Depends", {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"},
         prepare=buildable(missing=["_ssl", "_hashlib"])),
    Case("staged-maps-a-libpython", B, "but it is linked with the interpreter core",
         "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "Configure-Options must not change how it is linked",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"},
         prepare=buildable(libpython=["/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"])),
    Case("staged-runs-system-stdlib", B, "the staged interpreter runs outside", "os from /usr/lib/python3.11/os.py",
         "a pyvenv.cfg or ._pth file redirects it", {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"},
         prepare=buildable(os_py="/usr/lib/python3.11/os.py")),
    Case("read-only-cache", B, "; check free space and permissions", "cache/python", "check free space and permissions",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"}, prepare=buildable(), wrap=in_tmpfs("ro,size=1m")),
    Case("disk-full-cache", B, "CPython configure failed", f"{STATE}/cpython-build.log", "full log:",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"}, wrap=in_tmpfs("size=64k"),
         context="No space left on device", prepare=buildable(configure_head="dd if=/dev/zero of=filler bs=1k count=100 2>/dev/null || "
                                          "{ echo 'configure: error: cannot write: No space left on device'; "
                                          "exit 1; }")),
    # requirements and pip
    Case("requirements-not-utf8", P, "not UTF-8 text; save it as UTF-8", REQS, "save it as UTF-8",
         {PYRPATH_FILE: "", REQS: b"idna==3.7 # \xff\n"}),
    Case("requirements-include-missing", P, "no such file; fix the path", f"{REQS}:1", "fix the path",
         {PYRPATH_FILE: "", REQS: "-r other.txt\n"}),
    Case("conflicting-pins", P, "; keep one pin", f"{REQS}:2", "keep one pin",
         {PYRPATH_FILE: "", REQS: "idna==3.7\nidna==3.6\n"}),
    Case("requirements-option-refused", P, "is not supported in a requirements file here", f"{REQS}:1",
         "remove it", {PYRPATH_FILE: "", REQS: "--editable .\n"}),
    Case("pipinstall-before-buildpython", P, "run dh_pyrpath_buildpython before", PKG,
         "run dh_pyrpath_buildpython before dh_pyrpath_pipinstall", {PYRPATH_FILE: "", REQS: "idna==3.7\n"}),
    Case("requirement-not-in-wheelhouse", P, "run pyrpath vendor again, or fix the pin", REQS, "run pyrpath vendor again, or fix the pin",
         {PYRPATH_FILE: "", REQS: "idna==3.7\n", "wheels/README": "empty\n"}, prepare=failing_pip(PIP_NOT_FOUND)),
    Case("wheel-hash-mismatch", P, "not the --hash of", f"{REQS}:1", "restore it (pyrpath vendor) or update the hash",
         {PYRPATH_FILE: "", REQS: "idna==3.7 --hash=sha256:aaaa\n", "wheels/README": "x\n"},
         prepare=failing_pip(PIP_BAD_HASH)),
    Case("sdist-build-failure", P, "failed (exit status 1); full log:", f"{STATE}/pip.log", "full log:",
         {PYRPATH_FILE: "", REQS: "simplejson==3.19.3\n", "wheels/README": "x\n"},
         context="Failed building wheel for simplejson", prepare=failing_pip(PIP_SDIST_FAILS)),
    # finishing the tree
    Case("links-script-missing", I, "; scripts found:", "Links", "scripts found:",
         {PYRPATH_FILE: "Links: nope\nInstall-Project: no\n"}, prepare=lambda tmp: staged_tree(tmp, "#!/bin/sh\n")),
    Case("install-before-buildpython", I, "run dh_pyrpath_buildpython before", PKG, "run dh_pyrpath_buildpython before",
         {PYRPATH_FILE: "Install-Project: no\n"}),
    Case("staged-tree-wiped", I, "dh_pyrpath_buildpython must run again", PKG, "dh_pyrpath_buildpython must run again",
         {PYRPATH_FILE: "Install-Project: no\n"},
         prepare=lambda tmp: (staged_tree(tmp, ""), os.unlink(tmp / f"{STATE}/stage/opt/{PKG}/bin/python3.11"))),
    # the debhelper command line and environment
    Case("unknown-package", I, "no such package in debian/control", "-p nope", "see dh_pyrpath_install(1)",
         args=("-pnope",)),
    Case("unknown-option", I, "unrecognized arguments", "--frob", "see dh_pyrpath_install(1)", args=("--frob",)),
    Case("dh-options-garbage", B, "names one tree but", "-P/--tmpdir", "add -p", {PYRPATH_FILE: ""},
         env={"DH_OPTIONS": "-P debian/elsewhere"}),
    Case("non-utf8-path", P, "does not exist; fix the path", "Requirements: ", "fix the path",
         {PYRPATH_FILE: ""}, args=(os.fsdecode(b"--requirements=\xff.txt"),)),
    # pyrpath vendor and pyrpath audit
    Case("vendor-source-format", "pyrpath vendor", "cannot carry component tarballs", "debian/source/format",
         "write '3.0 (quilt)'", {PYRPATH_FILE: "", "debian/source/format": "1.0\n", "debian/changelog": CHANGELOG}),
    Case("vendor-native-version", "pyrpath vendor", "is native; 3.0 (quilt) needs an upstream version", "debian/changelog", "upstream version",
         {PYRPATH_FILE: "", "debian/source/format": "3.0 (quilt)\n",
          "debian/changelog": CHANGELOG.replace("1.0-1", "1.0")}),
    Case("audit-missing-target", "pyrpath audit", "give a .deb or an installed prefix",
         "missing.deb", "give a .deb", args=("missing.deb",)),
    Case("audit-not-a-deb", "pyrpath audit", "not a readable .deb", "README.txt", "give a .deb or an installed prefix",
         {"README.txt": "hello\n"}, args=("README.txt",)),
    Case("audit-no-prefix", "pyrpath audit", "cannot tell the private prefix", "debian", "give --prefix",
         args=("debian",)),
    # found by this catalogue, fixed since
    Case("malformed-requirement", P, "malformed requirement", f"{REQS}:2", "write e.g. name==1.2.3",
         {PYRPATH_FILE: "", REQS: "idna==3.7\nsix=1.16\n"}),
    Case("disk-full-while-unpacking", B, "No space left on device", "Python-Source", "check free space",
         {PYRPATH_FILE: "Python-Source: cpython.tar.gz\n"}, prepare=tarball("cpython.tar.gz"),
         wrap=in_tmpfs("size=64k")),
    Case("prefix-shared-by-two-packages", B, "is also the prefix of", "Prefix: /opt/shared", "give each package its own",
         {PYRPATH_FILE: "Prefix: /opt/shared\n", "debian/svc-noprof.pyrpath": "Prefix: /opt/shared\n"}),
    Case("cache-prune-days", "pyrpath cache prune", "is not a number of days", "--older-than",
         "give a whole number", args=("--older-than", "x")),
    # dh_pyrpath_sbom and pyrpath inventory
    Case("sbom-without-cpython-record", S, "no record of its CPython", f"{STATE}/sbom/cpython.json",
         "run dh_pyrpath_buildpython again", {PYRPATH_FILE: "", "debian/changelog": CHANGELOG},
         prepare=lambda tmp: staged_tree(tmp, "")),
    Case("sbom-without-changelog", S, "cannot read the package version", "debian/changelog", "fix debian/changelog",
         {PYRPATH_FILE: ""}, prepare=lambda tmp: sbom_inputs(tmp)),
    Case("sbom-linked-doc-dir", S, "is a symbolic link (dh_installdocs --link-doc)", f"debian/{PKG}/usr/share/doc/{PKG}",
         "drop --link-doc", {PYRPATH_FILE: "", "debian/changelog": CHANGELOG},
         prepare=lambda tmp: (sbom_inputs(tmp), os.makedirs(tmp / f"debian/{PKG}/usr/share/doc"),
                              os.symlink("other", tmp / f"debian/{PKG}/usr/share/doc/{PKG}"))),
    Case("sbom-build-path", S, "would contain the build path", "sbom.cdx.json", "please report it",
         {PYRPATH_FILE: "", "debian/changelog": CHANGELOG}, prepare=lambda tmp: sbom_inputs(tmp, leak=True)),
    Case("inventory-bad-find", "pyrpath inventory", "is not a requirement", "--find",
         "write it as in a requirements file", args=("--find", "urllib3<<2")),
    Case("inventory-bad-python", "pyrpath inventory", "is not a version specifier", "--python", "write e.g.",
         args=("--python", "3.11")),
]

# Not yet detected: listed so that the catalogue says so, and fails loudly once it is.


def snapshot(top: Path) -> dict[str, str]:
    """Every path under top with its content's digest (or 'dir', or the link target)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            if os.path.islink(path):
                state[rel] = "link:" + os.readlink(path)
            elif os.path.isdir(path):
                state[rel] = "dir"
            else:
                with open(path, "rb") as fd:
                    state[rel] = hashlib.sha256(fd.read()).hexdigest()
    return state


def allowed_leftover(rel: str, kind: str) -> bool:
    """What a failed run may leave: directories, and the logs (and wrapper) in its scratch space."""
    return kind == "dir" or (rel.startswith("debian/.debhelper/pyrpath/")
                             and (rel.endswith(".log") or rel.endswith("/prefix-map-compiler")))


def command_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))}
    env.update(DH_PYRPATH_CACHE=os.path.abspath("cache"), DEB_HOST_ARCH="amd64", **extra)
    return env


def run_case(case: Case) -> subprocess.CompletedProcess:
    command, *action = case.command.split()
    argv = [*case.wrap, os.path.join(BIN, command), *action, *case.args]
    return subprocess.run(argv, capture_output=True, env=command_env(case.env), stdin=subprocess.DEVNULL)


def error_lines(stderr: str) -> list[str]:
    """Lines saying error: (a failed step's log tail, indented with '  | ', is context)."""
    return [line for line in stderr.splitlines() if "error:" in line and not line.startswith("  | ")]


def check_case(case: Case, tmp_path: Path, write) -> None:
    for name, content in case.files.items():
        if isinstance(content, bytes):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(content)
        else:
            write(name, content)
    if case.prepare:
        case.prepare(tmp_path)
    before = snapshot(tmp_path)
    result = run_case(case)
    stderr = result.stderr.decode("utf-8", "backslashreplace")
    assert result.returncode == 255, (result.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    errors = error_lines(stderr)
    assert len(errors) == 1, stderr
    line = errors[0]
    assert line.startswith(f"{case.command}: error: "), line
    assert stderr.rstrip("\n").splitlines()[-1] == line, f"the message goes on after its first line: {stderr}"
    for fragment in (case.key, case.where, case.fix):
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert case.context in stderr.split(line)[0], stderr
    after = snapshot(tmp_path)
    changed = sorted(rel for rel, kind in after.items()
                     if before.get(rel) != kind and not allowed_leftover(rel, kind))
    removed = sorted(set(before) - set(after))
    assert changed == [] and removed == [], f"left behind: {changed}, removed: {removed}"
    if os.path.isdir(tmp_path / "cache/python"):
        assert os.listdir(tmp_path / "cache/python") == [], "a cache entry (or its temporary directory) is left"


def needs_mount_namespace(case: Case):
    if not case.wrap:
        return []
    probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True)
    return [] if probe.returncode == 0 else [pytest.mark.skip(reason="needs a private mount namespace (root)")]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=needs_mount_namespace(c)) for c in CASES])
def test_bad_input(case, source_tree, tmp_path):
    check_case(case, tmp_path, source_tree)


def test_catalogue_is_large_and_distinct():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.command for c in CASES} >= {"dh_pyrpath_buildpython", "dh_pyrpath_pipinstall", "dh_pyrpath_install",
                                          "pyrpath vendor", "pyrpath audit"}


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_interrupted_build_then_rebuild(source_tree, tmp_path):
    """^C during configure: one error line, no cache entry; the rebuild then works from scratch."""
    source_tree(PYRPATH_FILE, "Python-Source: cpython.tar.gz\n")
    started = tmp_path / "configure-started"
    fake_buildable_cpython(tmp_path / "cpython.tar.gz", configure_head=f"touch {started}; sleep 60")
    # SIGINT at its default disposition in the child whatever the caller's: a background job (nohup make
    # check &, a scheduler) inherits it ignored, and the command would never see the ^C.
    proc = subprocess.Popen([os.path.join(BIN, B)], env=command_env({}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 30
    while not started.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    errors = error_lines(stderr.decode())
    assert proc.returncode == 255 and errors == [f"{B}: error: interrupted"], stderr
    assert os.listdir(tmp_path / "cache/python") == [] and not (tmp_path / f"{STATE}/stage/opt").exists()
    assert not (tmp_path / STATE / "staged.json").exists()

    fake_buildable_cpython(tmp_path / "cpython.tar.gz")
    rebuild = subprocess.run([os.path.join(BIN, B)], env=command_env({}), capture_output=True, text=True)
    assert rebuild.returncode == 0, rebuild.stderr
    assert (tmp_path / f"{STATE}/stage/opt/{PKG}/bin/python3.11").is_file()
    assert len(os.listdir(tmp_path / "cache/python")) == 1


# test_interrupted_build_then_rebuild's case, for the README check.
INTERRUPTED = Case("interrupted-build", B, "error: interrupted", "", "")
TROUBLESHOOTING = re.compile(r"^## Troubleshooting\n(.*?)(?=^## )", re.S | re.M)


def test_readme_troubleshooting_lists_every_case():
    with open(ROOT_README, encoding="utf-8") as fd:
        match = TROUBLESHOOTING.search(fd.read())
    assert match, "README.md has no '## Troubleshooting' section"
    section = match.group(1)
    missing = [c.key for c in CASES + [INTERRUPTED] if c.key not in section]
    assert missing == [], f"README.md's Troubleshooting does not mention: {missing}"

"""pyrpath runtime init: write the source package of a runtime package (CPython built once per site).

The source package is an ordinary `3.0 (quilt)` one: its orig tarball is
the upstream CPython tarball of Debian's python3.X source package (the
.orig.tar.* only, as `pyrpath vendor` takes it, verified by apt), its
debian/ says `dh $@` with the pyrpath sequence, and debian/<name>.pyrpath
holds `Runtime: debian:python3.X (= <Debian version>)`, which makes
dh_pyrpath_buildpython compile the tree relocatable and dh_pyrpath_install
ship it under /usr/lib/pyrpath/<name>/ (dh_pyrpath/runtime/package.py).
It builds offline with dpkg-buildpackage or sbuild.
"""

from __future__ import annotations

import email.utils
import os
import re
import shutil
import subprocess
import textwrap
import time
from dataclasses import dataclass

from debian import debian_support

from dh_pyrpath.config import OPTIMIZE_LEVELS
from dh_pyrpath.cpython import apt
from dh_pyrpath.cpython.cache.entries import downloads_dir
from dh_pyrpath.cpython.compiledeps import METAPACKAGE
from dh_pyrpath.cpython.runtime import RUNTIME_ROOT
from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.hashing import sha256_file

DEFAULT_OPTIMIZE = "pgo+lto"   # the compile is paid once per site, not once per service build
_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+$")
_MAINTAINER = re.compile(r"^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$")
_ORIG = re.compile(r"\.orig(\.tar\.(?:gz|xz|bz2|zst))$")


@dataclass(frozen=True)
class Request:
    """What pyrpath runtime init was asked for."""

    directory: str
    python: str                 # debian:python3.X
    optimize: str = DEFAULT_OPTIMIZE
    name: str | None = None     # default pyrpath-cpython3.X
    version: str | None = None  # default <CPython version>-1
    maintainer: str | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class Written:
    directory: str              # the unpacked source tree
    orig: str
    name: str
    version: str
    debian_source: str          # python3.X
    debian_version: str         # of that Debian source package


def default_maintainer(environ: dict[str, str] | None = None) -> str | None:
    """DEBFULLNAME <DEBEMAIL>, as dch takes them."""
    env = os.environ if environ is None else environ
    name, mail = env.get("DEBFULLNAME", "").strip(), env.get("DEBEMAIL", "").strip()
    if "<" in mail:
        return mail
    return f"{name} <{mail}>" if name and mail else None


def host_codename() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as fd:
            for line in fd:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"') or "unstable"
    except OSError:
        pass
    return "unstable"


def check_request(request: Request) -> tuple[str, str, str]:
    """(Debian source package, runtime name, maintainer), or a one-line error naming the option."""
    package = apt.parse_spec(request.python)
    if not package:
        raise PyrpathError(f"--python: {request.python!r} is not of the form debian:python3.X; a runtime is built "
                           "from the orig tarball of Debian's python3.X, e.g. --python debian:python3.11")
    if request.optimize not in OPTIMIZE_LEVELS:
        raise PyrpathError(f"--optimize: {request.optimize!r} is not one of {', '.join(OPTIMIZE_LEVELS)}")
    name = request.name or f"pyrpath-cpython{package[len('python'):]}"
    if not _NAME.match(name):
        raise PyrpathError(f"--name: {name!r} is not a Debian package name (lower case letters, digits, + - .)")
    maintainer = request.maintainer or default_maintainer()
    if not maintainer:
        raise PyrpathError("--maintainer: not given and DEBFULLNAME/DEBEMAIL are not set; give "
                           "--maintainer 'Name <address>' (the Maintainer of the runtime package)")
    if not _MAINTAINER.match(maintainer):
        raise PyrpathError(f"--maintainer: {maintainer!r} is not of the form 'Name <address>'")
    return package, name, maintainer


def package_version(request: Request, cpython: str) -> debian_support.Version:
    text = request.version or f"{cpython}-1"
    try:
        version = debian_support.Version(text)
    except ValueError:
        raise PyrpathError(f"--version: {text!r} is not a Debian version; write e.g. {cpython}-1") from None
    if not version.debian_revision:
        raise PyrpathError(f"--version: {text} has no Debian revision; a 3.0 (quilt) package needs one, "
                           f"e.g. {text}-1")
    return version


def init(request: Request, progress) -> Written:
    """Write <dir>/<name>_<upstream>.orig.tar.* and <dir>/<name>-<upstream>/ with its debian/."""
    package, name, maintainer = check_request(request)
    os.makedirs(request.directory, exist_ok=True)
    log = os.path.join(request.directory, "pyrpath-runtime-init.log")
    progress(f"fetching the orig tarball of Debian's {package} (log: {log})")
    orig = apt.fetch_orig(package, os.path.join(downloads_dir(os.path.join(request.directory, ".downloads")),
                                                "debian"), log)
    debian_version = apt.source_version(package, orig)
    if not debian_version:
        raise PyrpathError(f"debian:{package}: apt's lists no longer name {os.path.basename(orig)}, so its Debian "
                           "version is unknown; remove that file and run pyrpath runtime init again")
    cpython = debian_support.Version(debian_version).upstream_version
    version = package_version(request, cpython)
    upstream = version.upstream_version
    tree = os.path.join(request.directory, f"{name}-{upstream}")
    if os.path.lexists(tree):
        raise PyrpathError(f"{tree}: already exists; remove it, or bump the version of the package there with "
                           "dch (debian/changelog)")
    suffix = _ORIG.search(orig)
    assert suffix
    target = os.path.join(request.directory, f"{name}_{upstream}.orig{suffix.group(1)}")
    if os.path.exists(target) and sha256_file(target) != sha256_file(orig):
        raise PyrpathError(f"{target}: exists with other contents than {os.path.basename(orig)}; remove it")
    if not os.path.exists(target):
        shutil.copyfile(orig, target + ".new")
        os.replace(target + ".new", target)
    os.makedirs(tree)
    result = subprocess.run(["tar", "-xf", target, "-C", tree, "--strip-components=1", "--no-same-owner"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(tree, ignore_errors=True)
        raise PyrpathError(f"{target}: cannot unpack ({result.stderr.strip()[-200:]}); remove it and run again")
    written = Written(tree, target, name, str(version), package, debian_version)
    write_debian(tree, written, request, maintainer, license_text(tree))
    progress(f"{name} {version}: CPython {cpython} from Debian's {package} {debian_version}, Optimize: "
             f"{request.optimize}")
    return written


def license_text(tree: str) -> str:
    try:
        with open(os.path.join(tree, "LICENSE"), encoding="utf-8") as fd:
            return fd.read()
    except OSError:
        raise PyrpathError(f"{tree}/LICENSE: missing; is the orig tarball a CPython source?") from None


def dep5_text(text: str) -> str:
    """A license text as a deb822 continuation: every line indented, empty lines as ' .'."""
    return "\n".join(f" {line}" if line.strip() else " ." for line in text.rstrip().splitlines())


def wrap(text: str) -> str:
    """A paragraph of an extended description: lines of at most 79 characters, each indented by one space."""
    return "\n".join(" " + line for line in textwrap.wrap(text, 78))


def changelog_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return email.utils.formatdate(int(epoch) if epoch.isdigit() else time.time(), localtime=False)


def write_debian(tree: str, written: Written, request: Request, maintainer: str, license: str) -> None:
    """debian/: control, changelog, rules, source/format, copyright, the .pyrpath file and source overrides."""
    name, package = written.name, written.debian_source
    short = package[len("python"):]
    cpython = debian_support.Version(written.debian_version).upstream_version
    distribution = request.distribution or host_codename()
    files = {
        "control": f"""\
Source: {name}
Section: interpreters
Priority: optional
Maintainer: {maintainer}
Build-Depends: debhelper-compat (= 13),
               dh-sequence-pyrpath,
               {METAPACKAGE},
Standards-Version: 4.6.2
Rules-Requires-Root: no
Homepage: https://www.python.org/

Package: {name}
Architecture: any
Depends: ${{shlibs:Depends}},
         ${{misc:Depends}},
Description: CPython {short} built once, for services packaged with dh-pyrpath
{wrap(f"The relocatable CPython {cpython} tree (the upstream source of Debian's {package} "
      f"{written.debian_version}, Optimize: {request.optimize}) that dh-pyrpath copies into every service "
      f'package built with "Python-Source: runtime:{name}", instead of compiling CPython in each build.')}
 .
{wrap("It is a build dependency of those services: nothing is installed on PATH and no maintainer script "
      f"runs it.  The tree, its manifest and its build record are in {RUNTIME_ROOT}/{name}/.")}
""",
        "changelog": f"""\
{name} ({written.version}) {distribution}; urgency=medium

  * CPython {cpython} from the orig tarball of Debian's {package}
    {written.debian_version}, relocatable, Optimize: {request.optimize}
    (pyrpath runtime init).

 -- {maintainer}  {changelog_date()}
""",
        "rules": """\
#!/usr/bin/make -f
# dh-pyrpath builds and ships the relocatable CPython: debian/*.pyrpath says Runtime.
%:
	dh $@

# CPython's configure is used as released (the orig tarball), not regenerated with this system's autoconf.
override_dh_autoreconf:
""",
        "source/format": "3.0 (quilt)\n",
        f"{name}.pyrpath": f"""\
# Written by pyrpath runtime init.  This package is a dh-pyrpath runtime:
# CPython built once, copied by the services whose debian/<pkg>.pyrpath says
# Python-Source: runtime:{name} (and which Build-Depend on {name}).
Runtime: debian:{package} (= {written.debian_version})
Optimize: {request.optimize}
""",
        "copyright": f"""\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: CPython
Upstream-Contact: Python Software Foundation <psf@python.org>
Source: https://www.python.org/downloads/source/
Comment: The orig tarball is the one of Debian's {package} {written.debian_version}.

Files: *
Copyright: 2001-2024 Python Software Foundation; and the other holders named in LICENSE
License: PSF-2.0

Files: debian/*
Copyright: {time.gmtime().tm_year} {maintainer}
License: PSF-2.0

License: PSF-2.0
{dep5_text(license)}
""",
        f"{name}.lintian-overrides": textwrap.dedent(f"""\
            # A site's own package, published in its own apt repository, never uploaded to Debian: no bug to close.
            {name}: initial-upload-closes-no-bugs
            """),
        "source/lintian-overrides": textwrap.dedent(f"""\
            # A site's own package, published in its own apt repository, never uploaded to Debian: no bug to close.
            {name} source: initial-upload-closes-no-bugs
            # Built from Doc/library/idle.rst by CPython's own tooling, and shipped in its tarball (as in {package}).
            {name} source: source-is-missing [Lib/idlelib/help.html]
            # Test data: the expected output of difflib.HtmlDiff, not a document that has a source.
            {name} source: source-is-missing [Lib/test/test_difflib_expect.html]
            """),
    }
    for relative, text in files.items():
        path = os.path.join(tree, "debian", relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fd:
            fd.write(text)
    os.chmod(os.path.join(tree, "debian", "rules"), 0o755)

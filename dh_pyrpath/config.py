"""Per-package configuration: debian/<pkg>.pyrpath (deb822) plus command-line overrides."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shlex
from dataclasses import dataclass
from typing import Iterator

from debian import deb822

from dh_pyrpath.contract.control import SourceControl
from dh_pyrpath.contract.files import pkgfile
from dh_pyrpath.errors import FieldError, PyrpathError
from dh_pyrpath.prefixes import suggestion, system_directory

FIELDS = (
    "Python-Source",
    "Python-Source-Sha256",
    "Prefix",
    "Requirements",
    "Wheelhouse",
    "Install-Project",
    "Configure-Options",
    "Links",
    "Optimize",
    "Slim",
    "Bytecode",
    "Test-Command",
    "Test-Requirements",
    "Runtime",
)
OPTIMIZE_LEVELS = ("none", "lto", "pgo", "pgo+lto")
# What Slim can drop from the private tree; DEFAULT_SLIM when the field is not given.
SLIM_ITEMS = ("tests", "static", "idlelib", "tkinter", "ensurepip", "lib2to3", "headers", "config", "pip")
# A service has no display: without tkinter, Tk and X11 never reach ${shlibs:Depends}.
DEFAULT_SLIM = ("tests", "static", "idlelib", "tkinter")
# When the private tree's .pyc are written: by postinst on the target (Debian's way), or at build time.
BYTECODE_MODES = ("install", "build")
DEFAULT_BYTECODE = "install"
DEFAULT_OPTIMIZE = "none"  # clean chroots build without a cache; see README, Performance
_CANONICAL = {name.lower(): name for name in FIELDS}
_FIELD_LINE = re.compile(r"^([^\s:#][^\s:]*)\s*:")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TRUE = {"yes", "true", "1"}
_FALSE = {"no", "false", "0"}
_LINK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class PackageConfig:
    """Everything the commands need to know about one binary package."""

    package: str
    path: str
    python_source: str
    python_source_sha256: str | None
    prefix: str
    requirements: tuple[str, ...]
    wheelhouse: str | None
    install_project: bool
    configure_options: tuple[str, ...]
    links: tuple[str, ...]
    optimize: str = DEFAULT_OPTIMIZE
    slim: tuple[str, ...] = DEFAULT_SLIM
    bytecode: str = DEFAULT_BYTECODE
    test_command: str | None = None
    test_requirements: tuple[str, ...] = ()
    # Runtime: debian:python3.X (= V): this package is a runtime package (dh_pyrpath/runtime/); its origin.
    runtime: str | None = None

    @contextlib.contextmanager
    def naming_fields(self) -> Iterator[None]:
        """Inside it, a FieldError raised by a lower step names this file: one error line."""
        try:
            yield
        except FieldError as exc:
            raise self.error(exc.field, exc.message) from None

    def error(self, field: str | None, message: str) -> PyrpathError:
        """An error naming this configuration file and field."""
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        return PyrpathError(where + message)


def config_file(package: str, control: SourceControl) -> str | None:
    """debian/<pkg>.pyrpath, or debian/pyrpath for the main package, if present."""
    return pkgfile(package, "pyrpath", control)


def handled_packages(packages: tuple[str, ...], control: SourceControl) -> list[str]:
    """The selected packages that carry a dh-pyrpath configuration file."""
    return [p for p in packages if config_file(p, control)]


def load_configs(selected: tuple[str, ...], control: SourceControl,
                 overrides: dict[str, str] | None = None) -> list[PackageConfig]:
    """The configurations of the selected packages that have one.

    Every configured package of the source is read, so that two packages
    sharing a Prefix (their files would clash in dpkg) is caught whichever
    of them this run builds.
    """
    configs = {p: load_config(p, control, overrides if p in selected else None)
               for p in control.names() if config_file(p, control)}
    owners: dict[str, PackageConfig] = {}
    for config in configs.values():
        owner = owners.setdefault(config.prefix, config)
        if owner is not config:
            raise config.error("Prefix", f"{config.prefix} is also the prefix of {owner.package} ({owner.path}); "
                                         "give each package its own")
    return [configs[p] for p in handled_packages(selected, control)]


def read_fields(path: str) -> dict[str, str]:
    """Read a one-paragraph deb822 file strictly: known fields, each once."""
    try:
        with open(path, encoding="utf-8") as fd:
            text = fd.read()
    except UnicodeDecodeError:
        raise PyrpathError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise PyrpathError(f"{path}: cannot read ({exc.strerror})") from None
    _check_lines(path, text.splitlines())
    paragraphs = list(deb822.Deb822.iter_paragraphs(text.splitlines(), use_apt_pkg=False))
    if len(paragraphs) > 1:
        raise PyrpathError(f"{path}: {len(paragraphs)} paragraphs; a .pyrpath file holds exactly one (remove the blank line)")
    fields = {_CANONICAL[k.lower()]: v.strip() for k, v in (paragraphs[0].items() if paragraphs else [])}
    return fields


def _check_lines(path: str, lines: list[str]) -> None:
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#") or line[0] in " \t":
            if line[:1] in " \t" and not seen and line.strip():
                raise PyrpathError(f"{path}:{number}: continuation line before any field")
            continue
        match = _FIELD_LINE.match(line)
        if not match:
            raise PyrpathError(f"{path}:{number}: not a 'Field: value' line: {line.strip()!r}")
        name = match.group(1).lower()
        if name not in _CANONICAL:
            known = ", ".join(FIELDS)
            raise PyrpathError(f"{path}:{number}: unknown field {match.group(1)!r}; known fields: {known}")
        if name in seen:
            raise PyrpathError(f"{path}: {_CANONICAL[name]}: given twice; keep one (line {number})")
        seen.add(name)


def load_config(package: str, control: SourceControl, overrides: dict[str, str] | None = None) -> PackageConfig:
    """Build the configuration of one package from its file and the overrides."""
    path = config_file(package, control) or f"debian/{package}.pyrpath"
    fields = read_fields(path) if os.path.isfile(path) else {}
    fields.update(overrides or {})
    if any(p.name == package and p.is_arch_all for p in control.packages):
        raise PyrpathError(
            f"{path}: {package} is Architecture: all but will carry a compiled CPython; make it Architecture: any"
        )
    runtime = _runtime(path, fields)
    if runtime:
        fields["Install-Project"] = "no"
    config = PackageConfig(
        package=package,
        path=path,
        python_source=fields.get("Python-Source", "") or "cpython",
        python_source_sha256=_sha256(path, fields.get("Python-Source-Sha256")),
        prefix=_prefix(path, package, fields.get("Prefix") or f"/opt/{package}"),
        requirements=_requirements(path, package, fields.get("Requirements")),
        wheelhouse=_wheelhouse(path, fields.get("Wheelhouse")),
        install_project=_install_project(path, fields.get("Install-Project")),
        configure_options=_configure_options(path, fields.get("Configure-Options", "")),
        links=_links(path, fields.get("Links", "")),
        optimize=_optimize(path, fields.get("Optimize") or DEFAULT_OPTIMIZE),
        slim=_slim(path, fields.get("Slim")),
        bytecode=_bytecode(path, fields.get("Bytecode") or DEFAULT_BYTECODE),
        test_command=fields.get("Test-Command") or None,
        test_requirements=_test_requirements(path, fields.get("Test-Requirements", "")),
        runtime=runtime,
    )
    if runtime:
        config = dataclasses.replace(config, python_source=".", requirements=(), wheelhouse=None)
    if config.test_requirements and not config.test_command:
        raise config.error("Test-Requirements", "given without Test-Command; add the command that runs the tests")
    if config.python_source.startswith("https://") and not config.python_source_sha256:
        raise config.error("Python-Source", "an https URL needs Python-Source-Sha256 (the tarball's sha256)")
    if config.python_source.startswith("http://"):
        raise config.error("Python-Source", "plain http is not accepted; use an https URL with Python-Source-Sha256")
    if config.python_source.startswith("runtime:") and not _RUNTIME_NAME.match(config.python_source[8:]):
        raise config.error("Python-Source", f"{config.python_source!r} does not name a runtime package; "
                                            "write runtime:<package>, e.g. runtime:pyrpath-cpython3.11")
    return config


# Runtime: debian:python3.X (= <Debian version of that source>), as pyrpath runtime init writes it.
_RUNTIME = re.compile(r"^debian:(python3\.\d+)\s*\(=\s*([0-9][A-Za-z0-9.+~:-]*)\s*\)$")
_RUNTIME_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+$")


def _runtime(path: str, fields: dict[str, str]) -> str | None:
    """The Runtime field, checked; a runtime package builds the source tree it is in, nothing else."""
    value = " ".join(fields.get("Runtime", "").split())
    if not value:
        return None
    if not _RUNTIME.match(value):
        raise PyrpathError(f"{path}: Runtime: {value!r} is not of the form debian:python3.X (= VERSION); "
                           "pyrpath runtime init writes it, e.g. debian:python3.11 (= 3.11.2-6+deb12u6)")
    for field in ("Python-Source", "Python-Source-Sha256", "Prefix", "Requirements", "Wheelhouse", "Install-Project", "Links",
                  "Test-Command", "Test-Requirements"):
        if fields.get(field):
            raise PyrpathError(f"{path}: {field}: a runtime package (Runtime: set) builds the CPython source tree "
                               "it is in and installs nothing into it; remove the field")
    return value


def runtime_origin(value: str) -> tuple[str, str]:
    """(Debian source package, its version) of a Runtime field value."""
    match = _RUNTIME.match(value)
    assert match
    return match.group(1), match.group(2)


def _sha256(path: str, value: str | None) -> str | None:
    if not value:
        return None
    value = value.lower()
    if not _SHA256.match(value):
        raise PyrpathError(f"{path}: Python-Source-Sha256: {value!r} is not 64 hex digits; paste the output of sha256sum")
    return value


def _prefix(path: str, package: str, value: str) -> str:
    if " " in value or "\n" in value or "\t" in value:
        raise PyrpathError(f"{path}: Prefix: {value!r} contains white space; use one absolute path such as /opt/<pkg>")
    if not value.startswith("/"):
        raise PyrpathError(f"{path}: Prefix: {value!r} is not absolute; use e.g. /opt/<pkg>")
    normal = os.path.normpath(value)
    if normal != value.rstrip("/") or ".." in value.split("/"):
        raise PyrpathError(f"{path}: Prefix: {value!r} is not a normalised path; write {normal}")
    reason = system_directory(normal)
    if reason:
        raise PyrpathError(f"{path}: Prefix: {value} is a system directory ({reason}), which purge would remove "
                           f"with what others keep there; use a directory of its own such as {suggestion(normal, package)}")
    return normal


def _requirements(path: str, package: str, value: str | None) -> tuple[str, ...]:
    if value:
        files = tuple(value.split())
        for name in files:
            if not os.path.isfile(name):
                raise PyrpathError(f"{path}: Requirements: {name} does not exist; fix the path (relative to the source tree)")
        return files
    for default in (f"debian/{package}.requirements.txt", "debian/deb-requirements.txt", "requirements.txt"):
        if os.path.isfile(default):
            return (default,)
    return ()


def _test_requirements(path: str, value: str) -> tuple[str, ...]:
    files = tuple(value.split())
    for name in files:
        if not os.path.isfile(name):
            raise PyrpathError(f"{path}: Test-Requirements: {name} does not exist; fix the path (relative to the source tree)")
    return files


def _wheelhouse(path: str, value: str | None) -> str | None:
    if value:
        if not os.path.isdir(value):
            raise PyrpathError(f"{path}: Wheelhouse: {value} is not a directory; create it or fix the path")
        return value
    return "wheels" if os.path.isdir("wheels") else None


def has_project() -> bool:
    return os.path.isfile("pyproject.toml") or os.path.isfile("setup.py")


def _install_project(path: str, value: str | None) -> bool:
    if value is None or value == "":
        return has_project()
    word = value.lower()
    if word not in _TRUE | _FALSE:
        raise PyrpathError(f"{path}: Install-Project: {value!r} is neither yes nor no")
    if word in _TRUE and not has_project():
        raise PyrpathError(
            f"{path}: Install-Project: yes, but the source tree has no pyproject.toml or setup.py; add one or say no"
        )
    return word in _TRUE


def _configure_options(path: str, value: str) -> tuple[str, ...]:
    try:
        options = tuple(shlex.split(value))
    except ValueError as exc:
        raise PyrpathError(f"{path}: Configure-Options: {exc}; check the quoting") from None
    for option in options:
        if option.startswith(("--prefix", "--exec-prefix", "--disable-shared")):
            raise PyrpathError(f"{path}: Configure-Options: {option} is managed by dh-pyrpath; use Prefix instead or drop it")
    return options


def _links(path: str, value: str) -> tuple[str, ...]:
    names = tuple(value.replace(",", " ").split())
    for name in names:
        if not _LINK_NAME.match(name):
            raise PyrpathError(f"{path}: Links: {name!r} is not a script name; list names from <Prefix>/bin")
    return names


def _optimize(path: str, value: str) -> str:
    level = value.strip().lower()
    if level not in OPTIMIZE_LEVELS:
        raise PyrpathError(f"{path}: Optimize: {value!r} is not one of {', '.join(OPTIMIZE_LEVELS)}")
    return level


def _bytecode(path: str, value: str) -> str:
    mode = value.strip().lower()
    if mode not in BYTECODE_MODES:
        raise PyrpathError(f"{path}: Bytecode: {value!r} is not one of {', '.join(BYTECODE_MODES)}")
    return mode


def _slim(path: str, value: str | None) -> tuple[str, ...]:
    """What to drop: the listed items; 'none' keeps everything; unset means DEFAULT_SLIM."""
    if value is None or not value.strip():
        return DEFAULT_SLIM
    items = tuple(value.replace(",", " ").lower().split())
    if items == ("none",):
        return ()
    for item in items:
        if item not in SLIM_ITEMS:
            raise PyrpathError(f"{path}: Slim: {item!r} is not one of {', '.join(SLIM_ITEMS)} (or none)")
    return tuple(dict.fromkeys(items))

"""Validate pip requirements files with packaging before pip sees them."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from dh_pyrpath.errors import PyrpathError

# pip requirement-file options we pass through; anything else is refused.
_FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}
_VALUE_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
    "--no-binary", "--only-binary", "--trusted-host",
}
_FLAG_OPTIONS = {"--no-index", "--prefer-binary", "--pre", "--require-hashes"}
_PER_REQUIREMENT = {"--hash", "--global-option", "--config-settings"}


@dataclass(frozen=True)
class Pin:
    name: str
    specifier: str
    where: str
    hashed: bool


def logical_lines(path: str) -> list[tuple[int, str]]:
    """Join backslash continuations and drop comments, keeping line numbers."""
    try:
        with open(path, encoding="utf-8") as fd:
            raw = fd.read().splitlines()
    except UnicodeDecodeError:
        raise PyrpathError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise PyrpathError(f"{path}: cannot read ({exc.strerror}); fix Requirements") from None
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(raw, 1):
        if not pending:
            start = number
        if line.lstrip().startswith("#"):
            line = ""
        elif " #" in line:
            line = line.split(" #", 1)[0]
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text:
            lines.append((start, text))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def parse_requirements(path: str, _seen: frozenset[str] = frozenset()) -> list[Pin]:
    """Every requirement in a file (following -r/-c), validated."""
    real = os.path.realpath(path)
    if real in _seen:
        raise PyrpathError(f"{path}: includes itself through -r; remove the loop")
    pins: list[Pin] = []
    for number, text in logical_lines(path):
        where = f"{path}:{number}"
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise PyrpathError(f"{where}: {exc}; check the quoting") from None
        if words[0].startswith("-"):
            pins.extend(_option_line(path, where, words, _seen | {real}))
            continue
        pins.append(_requirement_line(where, words))
    return pins


def _option_line(path: str, where: str, words: list[str], seen: frozenset[str]) -> list[Pin]:
    option, _, value = words[0].partition("=")
    if not value and len(words) > 1:
        value = words[1]
    if option in _FILE_OPTIONS:
        included = os.path.join(os.path.dirname(path), value)
        if not os.path.isfile(included):
            raise PyrpathError(f"{where}: {option} {value}: no such file; fix the path")
        return parse_requirements(included, seen) if option in ("-r", "--requirement") else []
    if option in _VALUE_OPTIONS | _FLAG_OPTIONS:
        return []
    raise PyrpathError(f"{where}: option {option} is not supported in a requirements file here; remove it")


def _requirement_line(where: str, words: list[str]) -> Pin:
    spec = words[0]
    rest = words[1:]
    # "name >= 1" with spaces: gather words until the first option
    while rest and not rest[0].startswith("--"):
        spec += " " + rest.pop(0)
    hashed = False
    for word in rest:
        option = word.split("=", 1)[0]
        if option not in _PER_REQUIREMENT:
            raise PyrpathError(f"{where}: {word!r} is not a per-requirement option (--hash=sha256:...); fix the line")
        hashed = hashed or option == "--hash"
    try:
        requirement = Requirement(spec)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]  # packaging adds the requirement and a caret on further lines
        raise PyrpathError(f"{where}: malformed requirement {spec!r} ({reason}); write e.g. name==1.2.3") from None
    return Pin(canonicalize_name(requirement.name), str(requirement.specifier), where, hashed)


def validate_requirement_files(files: tuple[str, ...]) -> list[Pin]:
    """Validate all files of one package; refuse one name pinned two ways."""
    pins: list[Pin] = []
    for path in files:
        pins.extend(parse_requirements(path))
    first: dict[str, Pin] = {}
    for pin in pins:
        other = first.setdefault(pin.name, pin)
        if other is not pin and other.specifier != pin.specifier and other.specifier and pin.specifier:
            raise PyrpathError(
                f"{pin.where}: {pin.name}{pin.specifier} conflicts with {other.name}{other.specifier} "
                f"at {other.where}; keep one pin"
            )
    return pins


def unpinned(pins: list[Pin]) -> list[Pin]:
    """Requirements that do not pin one exact version (== or ===)."""
    return [p for p in pins if not p.specifier.startswith(("==", "===")) or "," in p.specifier or "*" in p.specifier]

"""Requirement files are validated with packaging before pip runs."""

from __future__ import annotations

import pytest

from dh_pyrpath.deps.requirements import unpinned, validate_requirement_files
from dh_pyrpath.errors import PyrpathError


def test_pins_hashes_continuations_and_includes(source_tree):
    source_tree("base.txt", "six==1.16.0\n")
    source_tree("reqs.txt", """\
        # pinned
        -r base.txt
        --index-url https://mirror.example/simple
        idna==3.7 \\
            --hash=sha256:aaaa \\
            --hash=sha256:bbbb
        MarkupSafe == 2.1.5  # trailing comment
        pyyaml>=6
        """)
    pins = validate_requirement_files(("reqs.txt",))
    assert [(p.name, p.specifier, p.hashed) for p in pins] == [
        ("six", "==1.16.0", False), ("idna", "==3.7", True), ("markupsafe", "==2.1.5", False), ("pyyaml", ">=6", False)]
    assert [p.name for p in unpinned(pins)] == ["pyyaml"]
    assert pins[1].where == "reqs.txt:4"


@pytest.mark.parametrize("text,message", [
    ("idna=3.7\n", r"reqs.txt:1: malformed requirement 'idna=3.7'"),
    ("idna==3.7 --frobnicate\n", r"reqs.txt:1: '--frobnicate' is not a per-requirement option"),
    ("-e .\n", r"reqs.txt:1: option -e is not supported"),
    ("-r missing.txt\n", r"reqs.txt:1: -r missing.txt: no such file"),
    ("idna==3.7\nIDNA==2.10\n", r"reqs.txt:2: idna==2.10 conflicts with idna==3.7 at reqs.txt:1"),
])
def test_bad_requirements(source_tree, text, message):
    source_tree("reqs.txt", text)
    with pytest.raises(PyrpathError, match=message):
        validate_requirement_files(("reqs.txt",))


def test_include_loop(source_tree):
    source_tree("reqs.txt", "-r reqs.txt\n")
    with pytest.raises(PyrpathError, match="includes itself"):
        validate_requirement_files(("reqs.txt",))

"""Cache keys and entries: what changes a key, publication by rename, no half entries."""

from __future__ import annotations

import os

import pytest

from dh_pyrpath.cache import cache_key, cache_root, entry_record, lookup, new_entry
from dh_pyrpath.cpython import BuildRequest
from dh_pyrpath.debhelper import BuildOptions

FLAGS = {"CFLAGS": "-g -fstack-protector-strong", "CPPFLAGS": "", "LDFLAGS": "-Wl,-z,relro", "noopt": "False"}


def request(**changes) -> BuildRequest:
    fields = dict(source_sha256="a" * 64, version=(3, 11, 2), prefix="/opt/svc", configure_options=(),
                  build=BuildOptions(parallel=2))
    fields.update(changes)
    return BuildRequest(**fields)


def test_key_is_stable_and_ignores_parallelism():
    assert cache_key(request(), FLAGS) == cache_key(request(build=BuildOptions(parallel=8)), FLAGS)


@pytest.mark.parametrize("changes", [
    {"source_sha256": "b" * 64},
    {"prefix": "/opt/other"},
    {"configure_options": ("--with-lto",)},
    {"build": BuildOptions(noopt=True)},
    {"version": (3, 9, 18)},  # 3.9 builds without --without-static-libpython
])
def test_key_changes_with_what_was_built(changes):
    assert cache_key(request(**changes), FLAGS) != cache_key(request(), FLAGS)


def test_key_changes_with_flags():
    assert cache_key(request(), dict(FLAGS, LDFLAGS="-Wl,-z,relro -Wl,-z,now")) != cache_key(request(), FLAGS)


def test_cache_root_rules(tmp_path):
    assert cache_root({"DH_PYRPATH_CACHE": "/c"}) == "/c"
    assert cache_root({"DH_PYRPATH_CACHE": ""}) is None
    assert cache_root({"HOME": str(tmp_path)}) == str(tmp_path / ".cache" / "dh-pyrpath")
    assert cache_root({"HOME": str(tmp_path), "XDG_CACHE_HOME": "/x"}) == "/x/dh-pyrpath"
    assert cache_root({"HOME": "/nonexistent"}) is None
    assert cache_root({}) is None


def test_entry_published_by_rename(tmp_path):
    root = str(tmp_path)
    with new_entry(root, "k1", request()) as work:
        os.makedirs(os.path.join(work, "tree", "opt", "svc"))
        os.makedirs(os.path.join(work, "src"))
        assert lookup(root, "k1") is None  # nothing visible while building
    tree = lookup(root, "k1")
    assert tree and os.path.isdir(os.path.join(tree, "opt", "svc"))
    assert not os.path.exists(os.path.join(os.path.dirname(tree), "src"))  # scratch removed
    assert entry_record(tree)["prefix"] == "/opt/svc"
    assert os.listdir(os.path.join(root, "python")) == ["k1"]


def test_failed_build_leaves_nothing(tmp_path):
    root = str(tmp_path)
    with pytest.raises(RuntimeError):
        with new_entry(root, "k2", request()) as work:
            os.makedirs(os.path.join(work, "tree"))
            raise RuntimeError("make failed")
    assert lookup(root, "k2") is None
    assert os.listdir(os.path.join(root, "python")) == []


def test_entry_without_record_is_not_used(tmp_path):
    os.makedirs(tmp_path / "python" / "k3" / "tree")
    assert lookup(str(tmp_path), "k3") is None

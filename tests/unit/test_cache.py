"""Cache keys and entries: what changes a key, publication by rename, no half entries,
one build per key at a time, verification against the manifest, and pyrpath cache."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dh_pyrpath.contract.invocation import BuildOptions
from dh_pyrpath.cpython.build import BuildRequest
from dh_pyrpath.cpython.cache.admin import DAY, entries, prune, usage, verify
from dh_pyrpath.cpython.cache.entries import (cache_key, cache_root, damage, entry_dir, entry_record, lookup, new_entry, obtain,
                                              temporaries)
from dh_pyrpath.cpython.cache.lock import key_lock
from test_catalogue import fake_buildable_cpython
from test_errors import BIN

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


def test_published_entry_has_a_manifest_and_is_intact(tmp_path):
    root = str(tmp_path)
    with new_entry(root, "k4", request()) as work:
        fake_build(work)
    entry = entry_dir(root, "k4")
    with open(os.path.join(entry, "manifest.json"), encoding="utf-8") as fd:
        paths = json.load(fd)["paths"]
    assert paths["opt/svc/bin/python3"] == {"type": "link", "target": "python3.11"}
    assert paths["opt/svc/bin/python3.11"]["mode"] == 0o755 and len(paths["opt/svc/bin/python3.11"]["sha256"]) == 64
    assert paths["opt/svc/include"]["type"] == "dir"
    assert damage(root, "k4") == []
    assert os.path.isfile(os.path.join(entry, "last-used")) and entry_record(os.path.join(entry, "tree"))["built"]


# --- builds sharing the cache: real processes, fake trees ---

KEY = "0123456789abcdef0123456789abcdef"
FORK = multiprocessing.get_context("fork")


def fake_build(work: str, log: str | None = None, started: str | None = None, hold: float = 0.0) -> None:
    """Stand-in for compiling CPython: a small tree; logs each call, signals its start, may take its time."""
    if log:
        with open(log, "a", encoding="utf-8") as fd:
            fd.write(f"{os.getpid()}\n")
    top = os.path.join(work, "tree", "opt", "svc")
    os.makedirs(os.path.join(top, "bin"))
    os.makedirs(os.path.join(top, "include"))
    os.makedirs(os.path.join(top, "lib", "python3.11"))
    Path(top, "bin", "python3.11").write_text("#!/bin/sh\necho fake\n")
    os.chmod(os.path.join(top, "bin", "python3.11"), 0o755)
    os.symlink("python3.11", os.path.join(top, "bin", "python3"))
    Path(top, "lib", "libpython3.11.so.1.0").write_bytes(os.urandom(4096))
    Path(top, "lib", "python3.11", "os.py").write_text("# os\n")
    os.makedirs(os.path.join(work, "src"))  # scratch, dropped on publication
    if started:
        Path(started).touch()
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        time.sleep(0.02)


def obtain_in_child(root: str, key: str, results, **build) -> None:
    """Target of a child process: obtain key, report (reused, progress lines, warnings)."""
    said, warned = [], []
    got = obtain(root, key, request(), lambda work: fake_build(work, **build), said.append, warned.append)
    results.put((key, got.reused, said, warned))


def wait_for(path: Path, proc, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.is_alive() and time.monotonic() < deadline, "the child did not start building"
        time.sleep(0.01)


def test_concurrent_builds_of_one_key_build_once(tmp_path):
    root, log, started = str(tmp_path / "cache"), str(tmp_path / "builds.log"), tmp_path / "started"
    results = FORK.Queue()
    first = FORK.Process(target=obtain_in_child, args=(root, KEY, results),
                         kwargs=dict(log=log, started=str(started), hold=1.0))
    first.start()
    wait_for(started, first)  # the first holds the lock and is compiling
    second = FORK.Process(target=obtain_in_child, args=(root, KEY, results), kwargs=dict(log=log))
    second.start()
    outcomes = [results.get(timeout=30), results.get(timeout=30)]
    first.join(10)
    second.join(10)
    assert first.exitcode == 0 and second.exitcode == 0
    assert Path(log).read_text().splitlines() == [str(first.pid)]  # compiled once
    assert sorted(reused for _, reused, _, _ in outcomes) == [False, True]
    waiter = next(said for _, reused, said, _ in outcomes if reused)
    assert waiter == [f"waiting for another build of {KEY}"]
    assert sorted(os.listdir(os.path.join(root, "python"))) == [KEY]  # no lock file, no temporary
    assert damage(root, KEY) == []


def test_different_keys_build_in_parallel(tmp_path):
    """Each build waits, while building, for the other to have started: only possible in parallel."""
    root, results = str(tmp_path / "cache"), FORK.Queue()
    keys = ["a" * 32, "b" * 32]
    marks = {key: tmp_path / f"started-{key}" for key in keys}

    def build(key: str, other: str) -> None:
        def body(work: str) -> None:
            fake_build(work, started=str(marks[key]))
            deadline = time.monotonic() + 20
            while not marks[other].exists():
                assert time.monotonic() < deadline, f"{other} never started while {key} was building"
                time.sleep(0.01)
        got = obtain(root, key, request(), body, print, print)
        results.put((key, got.reused))

    procs = [FORK.Process(target=build, args=(keys[0], keys[1])), FORK.Process(target=build, args=(keys[1], keys[0]))]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in keys) == [(keys[0], False), (keys[1], False)]


def test_killed_build_leaves_no_entry_and_the_next_build_succeeds(tmp_path):
    root, log, started = str(tmp_path / "cache"), str(tmp_path / "builds.log"), tmp_path / "started"
    child = FORK.Process(target=obtain_in_child, args=(root, KEY, FORK.Queue()),
                         kwargs=dict(log=log, started=str(started), hold=60))
    child.start()
    wait_for(started, child)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode == -signal.SIGKILL
    assert lookup(root, KEY) is None and not os.path.exists(entry_dir(root, KEY))
    assert [t.key for t in temporaries(root)] == [KEY]  # the dead build's directory, never an entry

    said, warned = [], []
    got = obtain(root, KEY, request(), lambda work: fake_build(work, log=log), said.append, warned.append)
    assert not got.reused and said == [] and warned == []  # the kernel dropped the dead build's lock
    assert len(Path(log).read_text().splitlines()) == 2
    assert os.listdir(os.path.join(root, "python")) == [KEY]  # its temporary and lock file are gone
    assert damage(root, KEY) == []


def published(root: str, key: str = KEY) -> str:
    """A fresh entry for key; its tree."""
    got = obtain(root, key, request(), fake_build, print, print)
    assert not got.reused
    return got.tree


LIB = "opt/svc/lib/libpython3.11.so.1.0"


def change_content(tree: str) -> str:
    Path(tree, LIB).write_bytes(b"\0" * 4096)  # same size
    os.utime(os.path.join(tree, LIB), (1, 1))
    return f"tree/{LIB} changed"


def remove_file(tree: str) -> str:
    os.unlink(os.path.join(tree, "opt/svc/lib/python3.11/os.py"))
    return "tree/opt/svc/lib/python3.11/os.py missing"


def add_file(tree: str) -> str:
    Path(tree, "opt/svc/lib/python3.11/sitecustomize.py").write_text("import evil\n")
    return "tree/opt/svc/lib/python3.11/sitecustomize.py extra"


def change_mode(tree: str) -> str:
    os.chmod(os.path.join(tree, "opt/svc/bin/python3.11"), 0o644)
    return "tree/opt/svc/bin/python3.11 changed"


def retarget_link(tree: str) -> str:
    os.unlink(os.path.join(tree, "opt/svc/bin/python3"))
    os.symlink("/usr/bin/python3", os.path.join(tree, "opt/svc/bin/python3"))
    return "tree/opt/svc/bin/python3 changed"


def remove_manifest(tree: str) -> str:
    os.unlink(os.path.join(os.path.dirname(tree), "manifest.json"))
    return "manifest.json missing or unreadable"


DAMAGE = {f.__name__: f for f in (change_content, remove_file, add_file, change_mode, retarget_link, remove_manifest)}


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_entry_is_reported_removed_and_rebuilt(tmp_path, how):
    root, log = str(tmp_path), str(tmp_path / "builds.log")
    tree = published(root)
    problem = DAMAGE[how](tree)
    assert damage(root, KEY) == [problem]
    said, warned = [], []
    got = obtain(root, KEY, request(), lambda work: fake_build(work, log=log), said.append, warned.append)
    assert not got.reused and len(Path(log).read_text().splitlines()) == 1  # built again, not used
    assert len(warned) == 1 and problem in warned[0] and "removing it and building again" in warned[0]
    assert damage(root, KEY) == []
    assert sorted(os.listdir(os.path.join(root, "python"))) == [KEY]


def test_reuse_marks_the_entry_used(tmp_path):
    root = str(tmp_path)
    tree = published(root)
    last_used = os.path.join(os.path.dirname(tree), "last-used")
    os.utime(last_used, (time.time() - 90 * DAY,) * 2)
    got = obtain(root, KEY, request(), pytest.fail, print, print)
    assert got.reused and got.tree == tree
    assert time.time() - os.stat(last_used).st_mtime < 60


def age(root: str, key: str, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(os.path.join(entry_dir(root, key), "last-used"), (stamp, stamp))


def test_prune_list_size_verify(tmp_path):
    root = str(tmp_path)
    old, recent, busy = "1" * 32, "2" * 32, "3" * 32
    for key in (old, recent, busy):
        published(root, key)
    age(root, old, 40)
    age(root, busy, 40)
    dead = tmp_path / "python" / f".build-{old}-deadbeef"  # a killed build's leftovers
    (dead / "tree").mkdir(parents=True)
    (tmp_path / "python" / f"{old}.lock").touch()

    listed = entries(root)
    assert listed[0].key == recent and {e.key for e in listed} == {old, recent, busy}  # most recently used first
    assert {(e.version, e.prefix) for e in listed} == {("3.11.2", "/opt/svc")}
    assert all(e.size > 4096 and e.built > time.time() - 600 for e in listed)
    total = usage(root)
    assert (total.entries, total.temporaries) == (3, 1)
    assert total.total >= total.entries_size + total.temporaries_size > 0

    with key_lock(str(tmp_path / "python"), busy):  # a build is reusing it right now
        result = prune(root, 30)
    assert [e.key for e in result.removed] == [old] and result.busy == [busy]
    assert [t.path for t in result.temporaries] == [str(dead)] and result.freed > 0
    assert sorted(os.listdir(tmp_path / "python")) == sorted([recent, busy])  # the stale lock file too

    Path(lookup(root, recent), "opt/svc/lib/python3.11/os.py").write_text("# changed\n")
    checked = dict(verify(root, print))
    assert checked[busy] == [] and checked[recent] == ["tree/opt/svc/lib/python3.11/os.py changed"]
    assert sorted(os.listdir(tmp_path / "python")) == [busy]

    assert [e.key for e in prune(root, None).removed] == [busy]
    assert os.listdir(tmp_path / "python") == []


def test_prune_keeps_a_running_builds_temporary(tmp_path):
    root, started = str(tmp_path), tmp_path / "started"
    child = FORK.Process(target=obtain_in_child, args=(root, KEY, FORK.Queue()),
                         kwargs=dict(started=str(started), hold=60))
    child.start()
    try:
        wait_for(started, child)
        assert prune(root, None).temporaries == []
        assert [t.key for t in temporaries(root)] == [KEY]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    assert [t.key for t in prune(root, None).temporaries] == [KEY]
    assert os.listdir(tmp_path / "python") == []


# --- pyrpath cache through the real executable ---

def pyrpath(cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DH_PYRPATH_CACHE=str(cache))
    return subprocess.run([os.path.join(BIN, "pyrpath"), "cache", *args], capture_output=True, text=True, env=env)


def test_pyrpath_cache_commands(tmp_path):
    cache = tmp_path / "cache"
    empty = pyrpath(cache, "list")
    assert empty.returncode == 0 and "no cached CPython" in empty.stdout, empty.stderr
    published(str(cache), "1" * 32)
    published(str(cache), "2" * 32)
    age(str(cache), "1" * 32, 45)

    listed = pyrpath(cache, "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["KEY", "CPYTHON", "PREFIX", "SIZE", "LAST", "USED", "BUILT"]
    assert [row.split()[:3] for row in rows] == [["2" * 32, "3.11.2", "/opt/svc"], ["1" * 32, "3.11.2", "/opt/svc"]]
    assert time.strftime("%Y-%m-%d", time.localtime(time.time() - 45 * DAY)) in rows[1]

    size = pyrpath(cache, "size")
    assert size.returncode == 0 and f"in {cache}: 2 entries" in size.stdout, size.stdout + size.stderr

    pruned = pyrpath(cache, "prune")  # default: 30 days
    assert pruned.returncode == 0 and f"removed {'1' * 32}" in pruned.stdout and "2" * 32 not in pruned.stdout

    Path(lookup(str(cache), "2" * 32), "opt/svc/bin/python3.11").write_text("#!/bin/sh\nexit 1\n")
    verified = pyrpath(cache, "verify")
    assert verified.returncode == 1 and f"{'2' * 32}: damaged (tree/opt/svc/bin/python3.11 changed" in verified.stdout
    assert os.listdir(cache / "python") == []


def lines_of(stream) -> queue.Queue:
    """The lines a pipe yields, as they come, then None."""
    found: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            found.put(line)
        found.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return found


def test_second_build_of_a_key_waits_then_reuses(tmp_path):
    """Two dh_pyrpath_buildpython runs sharing a cache: the second waits, then stages the first's CPython."""
    release, started = tmp_path / "release", tmp_path / "configure-started"
    fake_buildable_cpython(tmp_path / "cpython.tar.gz",
                           configure_head=f"touch {started}; while [ ! -e {release} ]; do sleep 0.05; done")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DH_", "DEB_"))}
    env.update(DH_PYRPATH_CACHE=str(tmp_path / "cache"), DEB_HOST_ARCH="amd64")
    trees = [tmp_path / "one", tmp_path / "two"]
    for tree in trees:
        (tree / "debian").mkdir(parents=True)
        (tree / "debian/control").write_text("Source: demo\nMaintainer: T <t@example.org>\n"
                                             "Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath\n\n"
                                             "Package: svc-arch\nArchitecture: any\n")
        (tree / "debian/svc-arch.pyrpath").write_text(f"Python-Source: {tmp_path / 'cpython.tar.gz'}\n")
    command = [os.path.join(BIN, "dh_pyrpath_buildpython")]
    first = subprocess.Popen(command, cwd=trees[0], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    second = None
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.02)
        second = subprocess.Popen(command, cwd=trees[1], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        lines = lines_of(second.stdout)
        said: list[str] = []
        while not any("waiting for another build of" in line for line in said):
            line = lines.get(timeout=30)  # queue.Empty: the second build never waited
            assert line is not None, "".join(said) + second.stderr.read()
            said.append(line)
        release.touch()
        out1, err1 = first.communicate(timeout=60)
        while (line := lines.get(timeout=60)) is not None:
            said.append(line)
        second.wait(60)
        out2, err2 = "".join(said), second.stderr.read()
    finally:
        release.touch()
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.kill()
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "configure CPython" in out1 and "reusing cached CPython 3.11.2" in out2 and "configure" not in out2
    for tree in trees:
        assert (tree / "debian/.debhelper/pyrpath/svc-arch/stage/opt/svc-arch/bin/python3.11").is_file()
    assert len(os.listdir(tmp_path / "cache/python")) == 1


def test_core_flags_map_the_build_directory_at_compile_and_at_link_time(tmp_path):
    """With LTO the linker writes the debug information: its comp_dir must be mapped there too."""
    from dh_pyrpath.contract.invocation import BuildOptions
    from dh_pyrpath.cpython.flags import core_flags
    flags = core_flags(str(tmp_path), BuildOptions())
    mapping = f"-ffile-prefix-map={tmp_path}=."
    assert mapping in flags.cflags_nodist.split() and mapping in flags.ldflags_nodist.split()

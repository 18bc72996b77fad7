"""Issue 13: CPython built once per site, as a runtime package, and two services built against it, offline.

The site workflow, end to end:
 1. pyrpath runtime init (Optimize: none here, to keep the test short) and the runtime's build in sbuild
    (unshare mode, network off, the chroot tarball of test_offline): the site's one compile of CPython;
 2. an apt repository on disk (apt-ftparchive, [trusted=yes]) served on 127.0.0.1, as a site serves its own;
 3. sbuild of two services with --extra-repository: neither compiles CPython nor installs its -dev packages;
    both install side by side and pass pyrpath audit; Static-Built-Using names the runtime;
 4. runtime 3.11.2-2 (a rebuild with its version bumped, made with dpkg-buildpackage on the host through
    dh-pyrpath's cache) and a binNMU of hello-service (sbuild --make-binNMU) upgrade on the host, the service
    answering.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chroot import cache_dir, host_arch, sbuild, tool_debs
from debs import (EXAMPLES, ROOT, assert_isolated, build_env, dpkg, dpkg_install, dpkg_purge, free_port, http_get,
                  running)

pytestmark = pytest.mark.slow

RUNTIME = "pyrpath-cpython3.11"
RUNTIME_DIR = f"/usr/lib/pyrpath/{RUNTIME}"
MAINTAINER = "Site Ops <ops@example.org>"
HELLO, CLOCK = "hello-service", "clock-service"
COMPILE_MARK = "configure CPython"  # what dh_pyrpath_buildpython says before it compiles
# Seconds each step took, shown at the end of the test.
TIMES: dict[str, float] = {}


def checkout_env() -> dict[str, str]:
    """The environment for commands run on the host: this checkout's dh-pyrpath, whatever is installed."""
    env, _ = build_env()
    env["PATH"] = os.path.join(ROOT, "debhelper") + ":" + env["PATH"]
    env["PERL5LIB"] = os.path.join(ROOT, "perl5")
    return env


def run(argv: list[str], cwd: str, what: str) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(argv, cwd=cwd, env=checkout_env(), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    TIMES[what] = time.monotonic() - started
    assert result.returncode == 0, f"{what} failed:\n{(result.stdout + result.stderr)[-5000:]}"
    return result


@dataclass
class Built:
    debs: dict[str, str]
    log: str


def sbuilt(dsc: str, out: Path, what: str, repositories: list[str] = (), args: list[str] = ()) -> Built:
    out.mkdir()
    started = time.monotonic()
    result = sbuild(dsc, str(out), tool_debs(), list(repositories), list(args))
    TIMES[what] = time.monotonic() - started
    logs = glob.glob(str(out / "*.build"))
    log = open(logs[0], errors="replace").read() if logs else result.stdout + result.stderr
    assert result.returncode == 0, f"{what} failed:\n{log[-6000:]}"
    debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(str(out / "*.deb"))}
    return Built(debs, log)


def publish(repo: Path, *debs: str) -> None:
    """A flat apt repository: the .debs, Packages and Release (apt-ftparchive)."""
    repo.mkdir(exist_ok=True)
    for deb in debs:
        shutil.copy(deb, repo)
    packages = subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, check=True, capture_output=True).stdout
    (repo / "Packages").write_bytes(packages)
    release = subprocess.run(["apt-ftparchive", "release", "."], cwd=repo, check=True, capture_output=True).stdout
    (repo / "Release").write_bytes(release)


CLOCK_CONTROL = """\
Source: clock-service
Section: net
Priority: optional
Maintainer: Site Ops <ops@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-pyrpath, pyrpath-cpython3.11
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: clock-service
Architecture: any
Depends: ${shlibs:Depends}, ${misc:Depends}
Description: second service of the runtime-package test (dh-pyrpath)
 A private CPython under /opt/clock-service, copied from the runtime package.
"""


def write_clock(top: Path) -> Path:
    """A second, different service: no requirements, no project, its own prefix."""
    debian = top / CLOCK / "debian"
    (debian / "source").mkdir(parents=True)
    (debian / "control").write_text(CLOCK_CONTROL)
    (debian / "changelog").write_text("clock-service (2.0) bookworm; urgency=medium\n\n  * Test package.\n\n"
                                      f" -- {MAINTAINER}  Tue, 01 Dec 2026 07:00:00 +0000\n")
    (debian / "rules").write_text("#!/usr/bin/make -f\n\n%:\n\tdh $@\n")
    (debian / "rules").chmod(0o755)
    (debian / "source" / "format").write_text("3.0 (native)\n")
    (debian / f"{CLOCK}.pyrpath").write_text(f"Python-Source: runtime:{RUNTIME}\nInstall-Project: no\n")
    return top / CLOCK


def hello_on_runtime(top: Path) -> Path:
    """hello-service, its CPython from the runtime: Python-Source and Build-Depends changed, nothing else."""
    tree = top / HELLO
    shutil.copytree(os.path.join(EXAMPLES, HELLO), tree)
    config = tree / "debian" / f"{HELLO}.pyrpath"
    config.write_text(config.read_text().replace("Python-Source: debian:python3.11",
                                                 f"Python-Source: runtime:{RUNTIME}"))
    control = tree / "debian" / "control"
    control.write_text(control.read_text().replace("dh-pyrpath-compile", RUNTIME))
    return tree


def bump(tree: Path, version: str, message: str) -> None:
    """A new changelog entry, as dch -v would write it."""
    changelog = tree / "debian" / "changelog"
    name = changelog.read_text().split(" ", 1)[0]
    entry = (f"{name} ({version}) bookworm; urgency=medium\n\n  * {message}\n\n"
             f" -- {MAINTAINER}  Wed, 02 Dec 2026 07:00:00 +0000\n\n")
    changelog.write_text(entry + changelog.read_text())


def field_of(deb: str, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", deb, name], check=True, capture_output=True, text=True).stdout.strip()


def audit(target: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(ROOT, "debhelper", "pyrpath"), "audit", target], capture_output=True,
                          text=True, env=checkout_env())


@dataclass
class Site:
    top: Path
    runtime: Built
    runtime_tree: Path
    repository: str
    repo: Path
    hello: Built
    clock: Built
    hello_dsc: str
    debian_version: str
    notes: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    top = tmp_path_factory.mktemp("site")
    init = run(["pyrpath", "runtime", "init", str(top / "runtime"), "--python", "debian:python3.11",
                "--optimize", "none", "--maintainer", MAINTAINER, "--distribution", "bookworm"],
               str(top), "pyrpath runtime init")
    runtime_tree = Path(init.stdout.splitlines()[-1].split("/  ")[0])
    debian_version = next(line.split("Runtime: debian:python3.11 (= ")[1].rstrip(")")
                          for line in (runtime_tree / "debian" / f"{RUNTIME}.pyrpath").read_text().splitlines()
                          if line.startswith("Runtime:"))
    run(["dpkg-source", "-b", runtime_tree.name], str(top / "runtime"), "dpkg-source -b runtime")
    runtime = sbuilt(str(top / "runtime" / f"{RUNTIME}_3.11.2-1.dsc"), top / "runtime-out", "sbuild runtime")
    repo = top / "repo"
    publish(repo, runtime.debs[RUNTIME])
    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                               str(repo), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        repository = f"deb [trusted=yes] http://127.0.0.1:{port}/ ./"
        # pyrpath vendor asks the installed runtime which CPython it is (for the wheels' tags).
        dpkg_install(runtime.debs[RUNTIME])
        hello_tree = hello_on_runtime(top / "hello")
        run(["pyrpath", "vendor"], str(hello_tree), "pyrpath vendor hello-service")
        run(["dpkg-source", "-b", HELLO], str(top / "hello"), "dpkg-source -b hello-service")
        hello_dsc = str(top / "hello" / f"{HELLO}_1.0.0-1.dsc")
        hello = sbuilt(hello_dsc, top / "hello-out", "sbuild hello-service", [repository])
        write_clock(top / "clock")
        run(["dpkg-source", "-b", CLOCK], str(top / "clock"), "dpkg-source -b clock-service")
        clock = sbuilt(str(top / "clock" / f"{CLOCK}_2.0.dsc"), top / "clock-out", "sbuild clock-service",
                       [repository])
        yield Site(top, runtime, runtime_tree, repository, repo, hello, clock, hello_dsc, debian_version)
    finally:
        server.terminate()
        server.wait()
        dpkg_purge(HELLO, CLOCK, RUNTIME)
        print("\nruntime workflow, seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in TIMES.items()))
        with open(os.path.join(cache_dir(), "test_runtime_workflow-times.json"), "w") as fd:
            json.dump(TIMES, fd, indent=1)


def test_runtime_package_carries_the_cache_entry_and_nothing_that_runs(site):
    deb = site.runtime.debs[RUNTIME]
    assert f"dh_pyrpath_buildpython: {COMPILE_MARK}" in site.runtime.log  # the site's one compile
    listing = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True, text=True).stdout
    paths = [line.split()[5] for line in listing.splitlines()]
    assert f".{RUNTIME_DIR}/manifest.json" in paths and f".{RUNTIME_DIR}/entry.json" in paths
    assert f".{RUNTIME_DIR}/tree/opt/pyrpath-relocatable-prefix/bin/python3.11" in paths
    assert not [p for p in paths if p.startswith(("./usr/bin/", "./usr/sbin/", "./bin/", "./opt/"))]
    assert not [p for p in paths if "__pycache__" in p]
    control = subprocess.run(["dpkg-deb", "-I", deb], check=True, capture_output=True, text=True).stdout
    assert not any(script in control for script in ("postinst", "prerm", "postrm", "preinst"))
    depends = field_of(deb, "Depends")
    assert "libssl3" in depends and "libffi8" in depends and "libpython" not in depends, depends
    assert field_of(deb, "Static-Built-Using") == f"python3.11 (= {site.debian_version})"
    record = json.load(open(f"{RUNTIME_DIR}/entry.json"))  # installed on the host by the fixture
    assert record["prefix"] == "/opt/pyrpath-relocatable-prefix" and record["version"] == "3.11.2"
    assert record["runtime"]["optimize"] == "none" and "build_dir" not in record
    assert "/build/" not in open(f"{RUNTIME_DIR}/entry.json").read()


def test_runtime_package_is_lintian_clean(site):
    for target in (site.runtime.debs[RUNTIME], str(site.top / "runtime" / f"{RUNTIME}_3.11.2-1.dsc")):
        result = subprocess.run(["lintian", "--fail-on", "error,warning", target], capture_output=True, text=True)
        assert result.returncode == 0 and "W: " not in result.stdout, result.stdout + result.stderr


def test_services_built_from_the_runtime_compile_nothing_and_install_no_dev_package(site):
    for built in (site.hello, site.clock):
        assert COMPILE_MARK not in built.log and "built CPython" not in built.log
        assert f"using runtime {RUNTIME} 3.11.2-1 (CPython 3.11.2)" in built.log
        for dev in ("libssl-dev", "libffi-dev", "libsqlite3-dev", "dh-pyrpath-compile"):
            assert f"Unpacking {dev} " not in built.log, dev
        assert f"Unpacking {RUNTIME} " in built.log


def test_services_say_which_runtime_they_carry(site):
    for name, built in ((HELLO, site.hello), (CLOCK, site.clock)):
        assert field_of(built.debs[name], "Static-Built-Using") == f"{RUNTIME} (= 3.11.2-1)"
        assert RUNTIME not in field_of(built.debs[name], "Depends")  # a build dependency only


def test_services_install_side_by_side_and_pass_audit(site):
    for name, built in ((HELLO, site.hello), (CLOCK, site.clock)):
        result = audit(built.debs[name])
        assert result.returncode == 0 and "isolated, no findings" in result.stdout, result.stdout + result.stderr
    dpkg_install(site.hello.debs[HELLO], site.clock.debs[CLOCK])
    for name in (HELLO, CLOCK):
        result = audit(f"/opt/{name}")
        assert result.returncode == 0, result.stdout + result.stderr
    assert_isolated(f"/opt/{CLOCK}/bin/python3.11", f"/opt/{CLOCK}", "3.11", "ssl", "sqlite3")
    assert_isolated(f"/opt/{HELLO}/bin/python3.11", f"/opt/{HELLO}", "3.11", "markupsafe._speedups", "hello_service")


def test_runtime_update_and_binnmu_upgrade_the_service(site):
    """Runtime 3.11.2-2 in the repository, hello-service binNMU'd against it, upgraded on the host while answering."""
    dpkg_install(site.hello.debs[HELLO])
    bump(site.runtime_tree, "3.11.2-2", "Rebuild (the CPython security update of the site's workflow).")
    host = run(["dpkg-buildpackage", "-b", "-us", "-uc", "-d"], str(site.runtime_tree), "dpkg-buildpackage runtime -2")
    assert "dh_pyrpath_buildpython: reusing cached CPython" in host.stdout or COMPILE_MARK in host.stdout
    runtime2 = str(site.runtime_tree.parent / f"{RUNTIME}_3.11.2-2_{host_arch()}.deb")
    assert os.path.isfile(runtime2), os.listdir(site.runtime_tree.parent)
    publish(site.repo, runtime2)
    binnmu = sbuilt(site.hello_dsc, site.top / "binnmu-out", "sbuild hello-service binNMU", [site.repository],
                    ["--binNMU=1", "--make-binNMU=Rebuild against pyrpath-cpython3.11 3.11.2-2.",
                     f"--maintainer={MAINTAINER}"])
    assert f"using runtime {RUNTIME} 3.11.2-2" in binnmu.log and COMPILE_MARK not in binnmu.log
    deb = binnmu.debs[HELLO]
    assert field_of(deb, "Version") == "1.0.0-1+b1"
    assert field_of(deb, "Static-Built-Using") == f"{RUNTIME} (= 3.11.2-2)"
    port = free_port()
    with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
        assert json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))["prefix"] == f"/opt/{HELLO}"
        result = dpkg("-i", runtime2, deb)
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))["prefix"] == f"/opt/{HELLO}"
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", HELLO], capture_output=True, text=True).stdout
    assert status == "1.0.0-1+b1"
    port = free_port()
    with running(["/usr/bin/hello-service", "--bind", "127.0.0.1", "--port", str(port)]) as server:
        info = json.loads(http_get(server, f"http://127.0.0.1:{port}/info"))
        assert info["prefix"] == f"/opt/{HELLO}" and info["modules_outside_prefix"] == []
    result = audit(f"/opt/{HELLO}")
    assert result.returncode == 0, result.stdout + result.stderr

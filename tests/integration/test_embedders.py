"""Sdists whose build asks the staged interpreter for its paths: uwsgi (an embedder of libpython) and meson-python (pycairo).

uwsgi takes its include and library directories from sysconfig and records
the library directory as its RUNPATH; meson-python asks the interpreter for
its headers.  Built in the build target against the staged tree (which
describes itself at its staging path), they must end up pointing at the
final prefix: uwsgi loads the prefix's libpython, also on a host that has
Debian's libpython3.11 installed.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from debs import ROOT, build_example, dpkg_install, dpkg_purge, free_port, http_get, running

pytestmark = pytest.mark.slow

PKG = "embed-service"
PREFIX = f"/opt/{PKG}"
DATA = os.path.join(ROOT, "tests", "integration", "data")
APP = """
import json, sys
def application(environ, start_response):
    maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libpython" in l})
    outside = sorted(m.__file__ for m in list(sys.modules.values())
                     if getattr(m, "__file__", None) and not m.__file__.startswith(sys.prefix + "/"))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"prefix": sys.prefix, "libpython": maps, "outside": outside, "path": sys.path}).encode()]
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    built = build_example(PKG, str(tmp_path_factory.mktemp("embed")), examples=DATA)
    dpkg_install(built.debs[PKG])
    yield built
    dpkg_purge(PKG)


def test_uwsgi_runpath_names_the_prefix_not_the_stage(installed):
    dynamic = subprocess.run(["readelf", "-dW", f"{PREFIX}/bin/uwsgi"], check=True, capture_output=True,
                             text=True).stdout
    assert "libpython3.11.so.1.0" in dynamic  # an embedder: it links libpython
    runpath = next(line for line in dynamic.splitlines() if "runpath" in line.lower())
    assert f"[{PREFIX}/lib]" in runpath, runpath


def test_uwsgi_loads_the_prefix_libpython_and_serves(installed, tmp_path):
    system = [p for p in ("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "/usr/lib/aarch64-linux-gnu/libpython3.11.so.1.0")
              if os.path.exists(p)]
    assert system, "make check installs Debian's libpython3.11: the one uwsgi must not load"
    ldd = subprocess.run(["ldd", f"{PREFIX}/bin/uwsgi"], check=True, capture_output=True, text=True).stdout
    line = next(l for l in ldd.splitlines() if "libpython" in l)
    assert os.path.realpath(line.split("=>")[1].split()[0]) == f"{PREFIX}/lib/libpython3.11.so.1.0", line
    app = tmp_path / "app.py"
    app.write_text(APP)
    port = free_port()
    with running(["/usr/bin/uwsgi", "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(app),
                  "--need-app", "--disable-logging"]) as server:
        report = json.loads(http_get(server, f"http://127.0.0.1:{port}/"))
        with open(f"/proc/{server.pid}/maps") as fd:
            mapped = {l.split()[-1] for l in fd if "libpython" in l}
    assert report["prefix"] == PREFIX and report["outside"] == [str(app)], report  # only the WSGI file itself
    assert report["libpython"] == [f"{PREFIX}/lib/libpython3.11.so.1.0"] and mapped == set(report["libpython"])
    # uwsgi puts its working directory first ("." and ""); the rest is the prefix's
    assert all(p.startswith(PREFIX + "/") for p in report["path"] if p not in (".", "")), report["path"]


def test_meson_python_extension_is_built_here_and_imports(installed):
    """pycairo builds with meson-python, which asks the interpreter for its headers."""
    out = subprocess.run([f"{PREFIX}/bin/python3.11", "-I", "-c",
                          "import json, cairo; surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 4, 4); "
                          "print(json.dumps([cairo.__file__, surface.get_width()]))"],
                         check=True, capture_output=True, text=True).stdout
    path, width = json.loads(out)
    assert path.startswith(f"{PREFIX}/lib/python3.11/site-packages/cairo/") and width == 4
    extensions = [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".so")]
    assert extensions, os.listdir(os.path.dirname(path))
    dynamic = subprocess.run(["readelf", "-dW", os.path.join(os.path.dirname(path), extensions[0])],
                             check=True, capture_output=True, text=True).stdout
    assert "libcairo.so.2" in dynamic  # linked here against Debian's libcairo

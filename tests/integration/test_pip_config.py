"""dh_pyrpath_pipinstall honours the host's pip configuration (here PIP_INDEX_URL, a loopback mirror)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import subprocess
import threading
import zipfile

import pytest

from debs import build_env, free_port

pytestmark = pytest.mark.slow

PKG = "hello-service"


def make_wheel(directory: str, name: str, version: str) -> str:
    """A minimal pure-Python wheel that exists only on our mirror."""
    path = os.path.join(directory, f"{name}-{version}-py3-none-any.whl")
    files = {
        f"{name}/__init__.py": f"MIRROR = 'loopback'\n__version__ = '{version}'\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as whl:
        for arcname, text in files.items():
            data = text.encode()
            whl.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arcname},sha256={digest},{len(data)}")
        record.append(f"{name}-{version}.dist-info/RECORD,,")
        whl.writestr(f"{name}-{version}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture
def mirror(tmp_path):
    """A PEP 503 simple index on 127.0.0.1 holding one project."""
    project = tmp_path / "simple" / "mirror-only"
    project.mkdir(parents=True)
    wheel = make_wheel(str(project), "mirror_only", "1.2.3")
    (project / "index.html").write_text(f'<a href="{os.path.basename(wheel)}">{os.path.basename(wheel)}</a>\n')
    port = free_port()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/simple/"
    server.shutdown()


def test_pipinstall_uses_the_index_from_pip_environment(hello_build, mirror, tmp_path):
    requirements = tmp_path / "mirror.txt"
    requirements.write_text("mirror-only==1.2.3\n")
    env, _ = build_env()
    env.update(PIP_INDEX_URL=mirror, PIP_FIND_LINKS="", PIP_EXTRA_INDEX_URL="", PIP_CONFIG_FILE=os.devnull)
    result = subprocess.run(["dh_pyrpath_pipinstall", f"-p{PKG}", f"--requirements={requirements}",
                             "--install-project=no"],
                            cwd=hello_build.source_dir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    staged = os.path.join(hello_build.source_dir, "debian/.debhelper/pyrpath", PKG, "stage/opt", PKG)
    out = subprocess.run([f"{staged}/bin/python3.11", "-I", "-c", "import mirror_only; print(mirror_only.MIRROR)"],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "loopback", out.stderr

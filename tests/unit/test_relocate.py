"""A tree built under the placeholder prefix, moved to a package's prefix."""

from __future__ import annotations

import os
import subprocess

from dh_pyrpath.cpython.relocate import BUILD_PREFIX, relocate


def test_text_files_are_rewritten_binary_ones_left_alone(tmp_path):
    files = {
        "lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py": f"build_time_vars = {{'prefix': '{BUILD_PREFIX}'}}\n",
        "lib/pkgconfig/python3.pc": f"prefix={BUILD_PREFIX}\n",
        "bin/pip3": f"#!{BUILD_PREFIX}/bin/python3.11\nimport pip\n",
    }
    for rel, text in files.items():
        os.makedirs(tmp_path / os.path.dirname(rel), exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "bin/pip3").chmod(0o755)
    elf = b"\x7fELF\2\1\1" + b"\0" * 9 + BUILD_PREFIX.encode() + b"/lib/python3.11\0"
    (tmp_path / "lib/libpython3.11.so.1.0").write_bytes(elf)
    pyc = b"\xa7\r\r\n" + b"\0" * 12 + BUILD_PREFIX.encode()
    (tmp_path / "lib/python3.11/__pycache__").mkdir()
    (tmp_path / "lib/python3.11/__pycache__/os.cpython-311.pyc").write_bytes(pyc)

    changed = relocate(str(tmp_path), "/opt/svc")

    assert sorted(os.path.relpath(p, tmp_path) for p in changed) == sorted(files)
    assert (tmp_path / "lib/pkgconfig/python3.pc").read_text() == "prefix=/opt/svc\n"
    assert (tmp_path / "bin/pip3").read_text().startswith("#!/opt/svc/bin/python3.11\n")
    assert (tmp_path / "bin/pip3").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "lib/libpython3.11.so.1.0").read_bytes() == elf  # getpath's fallback only
    assert (tmp_path / "lib/python3.11/__pycache__/os.cpython-311.pyc").read_bytes() == pyc
    assert relocate(str(tmp_path), "/opt/svc") == []


def test_runpath_naming_the_staging_path_becomes_the_prefix(tmp_path):
    """An sdist that links libpython (uwsgi) records its sysconfig's LIBDIR, the staging path, as RUNPATH."""
    staged = f"{tmp_path}/debian/.debhelper/pyrpath/svc/stage/opt/svc"
    os.makedirs(f"{staged}/bin")
    source = tmp_path / "embed.c"
    source.write_text("int main(void) { return 0; }\n")
    binary = f"{staged}/bin/embed"
    subprocess.run(["gcc", "-o", binary, str(source), f"-Wl,-rpath,{staged}/lib:$ORIGIN/../lib"], check=True)
    before = os.path.getsize(binary)
    assert relocate(staged, "/opt/svc", old_prefix=staged) == [binary]
    dynamic = subprocess.run(["readelf", "-dW", binary], check=True, capture_output=True, text=True).stdout
    assert "Library runpath: [/opt/svc/lib:$ORIGIN/../lib]" in dynamic, dynamic
    assert os.path.getsize(binary) == before and subprocess.run([binary]).returncode == 0
    with open(binary, "rb") as fd:
        assert staged.encode() not in fd.read()

"""Which binaries came from prebuilt wheels, setting them aside and back, and their Depends."""

from __future__ import annotations

import os

from dh_pyrpath.dpkg.prebuilt_binaries import is_prebuilt, prebuilt_elf_files, put_back, record, set_aside

ELF = b"\x7fELF\2\1\1" + b"\0" * 57


def dist(site, name, tag, files):
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n")
    rows = []
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows.append(f"{rel},sha256=x,{len(data)}")
    (info / "RECORD").write_text("\n".join(rows + [f"{info.name}/RECORD,,"]) + "\n")
    return info


def test_portable_wheels_only(tmp_path):
    site = tmp_path / "opt/svc/lib/python3.11/site-packages"
    portable = dist(site, "numpy", "cp311-cp311-manylinux_2_17_x86_64",
                    {"numpy/_core/_umath.so": ELF, "numpy.libs/libopenblas.so": ELF, "numpy/__init__.py": b"x"})
    local = dist(site, "simplejson", "cp311-cp311-linux_x86_64", {"simplejson/_speedups.so": ELF})
    pure = dist(site, "idna", "py3-none-any", {"idna/__init__.py": b"x"})
    assert is_prebuilt(str(portable)) and not is_prebuilt(str(local)) and not is_prebuilt(str(pure))
    assert not is_prebuilt(str(site / "egg.egg-info"))
    assert prebuilt_elf_files(str(site)) == [str(site / "numpy.libs/libopenblas.so"), str(site / "numpy/_core/_umath.so")]


def test_set_aside_and_put_back_byte_for_byte(tmp_path):
    site = tmp_path / "pkg/opt/svc/lib/python3.11/site-packages"
    dist(site, "pillow", "cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64", {"pillow.libs/libjpeg.so.62": ELF + b"j"})
    state, destdir = str(tmp_path / "state"), str(tmp_path / "pkg")
    os.makedirs(state)
    record(state, destdir, prebuilt_elf_files(str(site)))
    assert set_aside(state, destdir) == 1 and not (site / "pillow.libs/libjpeg.so.62").exists()
    assert put_back(state, destdir) == 1 and (site / "pillow.libs/libjpeg.so.62").read_bytes() == ELF + b"j"
    assert put_back(state, destdir) == 0 and not os.path.exists(os.path.join(state, "prebuilt-aside"))

"""File times of the private tree: all at SOURCE_DATE_EPOCH."""

from __future__ import annotations

import os

from dh_pyrpath.tree.filetimes import set_times, source_date_epoch


def test_every_entry_gets_the_date(tmp_path):
    (tmp_path / "lib" / "pkg").mkdir(parents=True)
    (tmp_path / "lib" / "pkg" / "mod.py").write_text("x = 1\n")
    os.utime(tmp_path / "lib" / "pkg" / "mod.py", (1, 1))
    os.symlink("pkg/mod.py", tmp_path / "lib" / "link.py")
    assert set_times(str(tmp_path), 1700000000) == 5
    for path in (tmp_path, tmp_path / "lib", tmp_path / "lib" / "pkg", tmp_path / "lib" / "pkg" / "mod.py"):
        assert os.stat(path).st_mtime == 1700000000
    assert os.lstat(tmp_path / "lib" / "link.py").st_mtime == 1700000000


def test_source_date_epoch():
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}) == 1700000000
    assert source_date_epoch({}) is None and source_date_epoch({"SOURCE_DATE_EPOCH": "x"}) is None

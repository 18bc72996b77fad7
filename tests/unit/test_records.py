"""RECORD rows follow the scripts whose #! line was rewritten."""

from __future__ import annotations


from dh_pyrpath.tree.records import record_hash, refresh_records


def test_rewritten_script_gets_its_new_hash(tmp_path):
    site = tmp_path / "lib/python3.11/site-packages"
    info = site / "svc-1.0.dist-info"
    info.mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin/svc"
    script.write_text("#!/build/debian/svc/opt/svc/bin/python3.11\nimport svc\n")
    stale = record_hash(str(script))
    (info / "RECORD").write_text(f"../../../bin/svc,{stale[0]},{stale[1]}\nsvc-1.0.dist-info/RECORD,,\n")
    script.write_text("#!/opt/svc/bin/python3.11\nimport svc\n")
    assert refresh_records(str(site), [str(script)]) == [str(info / "RECORD")]
    fresh = record_hash(str(script))
    assert (info / "RECORD").read_text() == f"../../../bin/svc,{fresh[0]},{fresh[1]}\nsvc-1.0.dist-info/RECORD,,\n"
    assert refresh_records(str(site), [str(tmp_path / "other")]) == []

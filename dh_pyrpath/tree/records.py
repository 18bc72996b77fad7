"""Installed distributions' RECORD files, kept true to the files the package ships.

pip records each file's sha256 as it wrote it; the console scripts it
writes start with the staging path's #! line, which dh_pyrpath_install
then rewrites.  Left alone, RECORD would name hashes no shipped file has,
and hashes that depend on where the package was built.
"""

from __future__ import annotations

import json
import base64
import csv
import glob
import hashlib
import io
import os


def record_hash(path: str) -> tuple[str, str]:
    """RECORD's hash and size fields for a file: sha256=<urlsafe base64, unpadded>, bytes."""
    with open(path, "rb") as fd:
        data = fd.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}", str(len(data))


def refresh_records(site_packages: str, changed: list[str]) -> list[str]:
    """Update the rows of every *.dist-info/RECORD naming one of changed; return the RECORDs rewritten."""
    wanted = {os.path.realpath(path) for path in changed}
    rewritten = []
    for record in sorted(glob.glob(os.path.join(glob.escape(site_packages), "*.dist-info", "RECORD"))):
        with open(record, encoding="utf-8", newline="") as fd:
            rows = list(csv.reader(fd))
        touched = False
        for row in rows:
            if len(row) >= 3 and row[1] and os.path.realpath(os.path.join(site_packages, row[0])) in wanted:
                row[1], row[2] = record_hash(os.path.join(site_packages, row[0]))
                touched = True
        if touched:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            with open(record, "w", encoding="utf-8", newline="") as fd:
                fd.write(out.getvalue())
            rewritten.append(record)
    return rewritten


def drop_local_direct_urls(site_packages: str) -> list[str]:
    """Remove direct_url.json files recording a file:// build path (and their RECORD lines)."""
    removed = []
    for path in glob.glob(os.path.join(site_packages, "*.dist-info", "direct_url.json")):
        with open(path, encoding="utf-8") as fd:
            url = json.load(fd).get("url", "")
        if not url.startswith("file:"):
            continue
        os.unlink(path)
        removed.append(path)
        record = os.path.join(os.path.dirname(path), "RECORD")
        if os.path.isfile(record):
            name = os.path.basename(os.path.dirname(path)) + "/direct_url.json,"
            with open(record, encoding="utf-8") as fd:
                lines = [line for line in fd if not line.startswith(name)]
            with open(record, "w", encoding="utf-8") as fd:
                fd.writelines(lines)
    return removed

"""The CycloneDX 1.6 JSON schema, fetched once from PyPI into the test cache, and a validator for it.

cyclonedx.org is not reachable from the build machines; the schema files
ship in the cyclonedx-python-lib wheel, pinned here by version and sha256.
They are not part of the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "cyclonedx_python_lib-11.12.0-py3-none-any.whl"
REQUIREMENT = "cyclonedx-python-lib==11.12.0"
SHA256 = "0e807521a921a5c3cb8ce1153f8a61d29eedfe76a46aac2796b7c6b573391a54"
MEMBERS = ("bom-1.6.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
RESOURCES = "cyclonedx/schema/_res/"


def cache_dir() -> str:
    return os.environ.get("DH_PYRPATH_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dh-pyrpath-tests")


def schema_dir() -> str:
    """The directory holding the three schema files, fetched when missing."""
    target = os.path.join(cache_dir(), "cyclonedx-1.6")
    if all(os.path.isfile(os.path.join(target, m)) for m in MEMBERS):
        return target
    os.makedirs(cache_dir(), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                        "--dest", tmp, REQUIREMENT], check=True, capture_output=True, stdin=subprocess.DEVNULL)
        wheel = os.path.join(tmp, WHEEL)
        with open(wheel, "rb") as fd:
            assert hashlib.sha256(fd.read()).hexdigest() == SHA256, f"{WHEEL} is not the wheel pinned here"
        staging = os.path.join(tmp, "schema")
        os.makedirs(staging)
        with zipfile.ZipFile(wheel) as archive:
            for member in MEMBERS:
                with open(os.path.join(staging, member), "wb") as out:
                    out.write(archive.read(RESOURCES + member))
        os.replace(staging, target) if not os.path.isdir(target) else None
    return target


def validator():
    """A Draft 7 validator of bom-1.6, its $refs to the SPDX and JSF schemas resolved locally."""
    import jsonschema  # python3-jsonschema, a test dependency only

    directory = schema_dir()
    schemas = {}
    for member in MEMBERS:
        with open(os.path.join(directory, member), encoding="utf-8") as fd:
            schemas[member] = json.load(fd)
    bom = schemas[MEMBERS[0]]
    base = bom["$id"].rsplit("/", 1)[0] + "/"
    store = {base + member: schema for member, schema in schemas.items()}
    store.update({schema["$id"]: schema for schema in schemas.values()})
    resolver = jsonschema.RefResolver(base_uri=bom["$id"], referrer=bom, store=store)
    return jsonschema.Draft7Validator(bom, resolver=resolver)


def schema_errors(document: dict) -> list[str]:
    """Every way the document breaks the CycloneDX 1.6 schema (empty when it is valid)."""
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(document))

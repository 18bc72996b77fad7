"""Print where this interpreter loads its modules and libpython from, as JSON."""

import json
import sys


def main() -> None:
    maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if "libpython" in line})
    files = sorted(m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None))
    print(json.dumps({"prefix": sys.prefix, "path": sys.path, "files": files, "libpython": maps}))

"""twin: print which idna this service's private Python imports."""

import json
import sys

import idna


def main() -> int:
    print(json.dumps({"idna": idna.__version__, "idna_file": idna.__file__, "prefix": sys.prefix}))
    return 0

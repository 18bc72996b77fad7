"""A small HTTP service whose /info endpoint shows where its Python comes from."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import idna
import markupsafe
import simplejson
from markupsafe import _speedups

log = logging.getLogger("hello-service")


def libpython() -> str | None:
    """The libpython mapped into this process, from /proc/self/maps."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            if "libpython" in line:
                return line.split()[-1]
    return None


def info() -> dict:
    """Where the interpreter, the stdlib, a C extension and libpython come from."""
    # realpath: __main__ is the /usr/bin link to <prefix>/bin/hello-service when run through it.
    files = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    outside = sorted(f for f in files if f and not os.path.realpath(f).startswith(sys.prefix + os.sep))
    return {
        "version": sys.version,
        "prefix": sys.prefix,
        "executable": sys.executable,
        "path": sys.path,
        "json": json.__file__,
        "c_extension": _speedups.__file__,
        "simplejson": simplejson.__file__,
        "simplejson_c_speedups": simplejson._import_c_make_encoder() is not None,
        "libpython": libpython(),
        "modules_outside_prefix": outside,
    }


def greeting(name: str) -> dict:
    """The / answer: the name escaped by MarkupSafe, its IDNA form, and simplejson's encoding of it."""
    escaped = str(markupsafe.escape(name))
    try:
        ascii_name = idna.encode(name, uts46=True).decode() if name else ""
    except idna.IDNAError:
        ascii_name = None
    return {"hello": escaped or "world", "idna": ascii_name, "simplejson": simplejson.dumps({"hello": escaped or "world"})}


class Handler(BaseHTTPRequestHandler):
    server_version = "hello-service/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        if url.path == "/":
            self.reply(200, greeting(parse_qs(url.query).get("name", [""])[0]))
        elif url.path == "/info":
            self.reply(200, info())
        else:
            self.reply(404, {"error": f"no such endpoint: {url.path}"})

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.info("%s %s", self.address_string(), format % args)


def stop(signum: int, frame: object) -> None:
    """SIGTERM (systemctl stop): leave serve_forever and close the socket."""
    raise SystemExit(0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hello-service", description=__doc__)
    parser.add_argument("--bind", default=os.environ.get("HELLO_SERVICE_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HELLO_SERVICE_PORT", "8080")))
    parser.add_argument("--info", action="store_true", help="print the /info answer and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.info:
        print(json.dumps(info(), indent=1))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    signal.signal(signal.SIGTERM, stop)
    log.info("listening on %s:%d with Python %s from %s", args.bind, args.port, sys.version.split()[0], sys.prefix)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

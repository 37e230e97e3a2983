"""Serve moto's AWS emulator (DynamoDB, SES v2, SNS, ...) one request at a time.

`moto_server` answers requests on threads, and moto's DynamoDB backend takes
no locks: two concurrent conditional writes can both pass their condition, so
a guarded counter or a uniqueness transaction over-succeeds. AWS never does
that, and the store tests check it. Served on a single thread, each request
runs to completion before the next starts, which gives the same outcome as
DynamoDB's per-item serialisation.

Usage: python scripts/moto_server.py [--host 127.0.0.1] [--port PORT]
                                    [--count-requests]
The port defaults to $TWOFOLD_MOTO_PORT, then 5055. With --count-requests
(scripts/bench), every request is counted by its operation, the
X-Amz-Target header of JSON protocols (DynamoDB) or else method and path
(SES v2), and GET /twofold/requests answers the counts so far as JSON.
"""

import argparse
import json
import os
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


COUNTS_PATH = "/twofold/requests"


def counting(app):
    """Wraps the WSGI app so it counts each request by operation."""
    counts = {}

    def counted(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == COUNTS_PATH:
            body = json.dumps(counts).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET")
        if not target and not path.startswith("/moto-api"):
            target = f"{environ.get('REQUEST_METHOD', '')} {path}"
        if target:
            counts[target] = counts.get(target, 0) + 1
        return app(environ, start_response)

    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("TWOFOLD_MOTO_PORT", "5055")),
    )
    parser.add_argument("--count-requests", action="store_true")
    args = parser.parse_args()

    # moto builds some ARNs and URLs from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    # Leave quietly on Ctrl-C or a stop from scripts/lib/stack.sh.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    if args.count_requests:
        app = counting(app)
    # threaded=False, processes=1: one request at a time, see the module doc.
    # Werkzeug then speaks HTTP/1.0 and closes each connection, so an idle
    # keep-alive client cannot hold the only thread.
    run_simple(
        args.host,
        args.port,
        app,
        threaded=False,
        processes=1,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()

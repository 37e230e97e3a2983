"""Serve moto's AWS emulator (DynamoDB, SES v2, SNS, ...) one request at a time.

`moto_server` answers requests on threads, and moto's DynamoDB backend takes
no locks: two concurrent conditional writes can both pass their condition, so
a guarded counter or a uniqueness transaction over-succeeds. AWS never does
that, and the store tests check it. Served on a single thread, each request
runs to completion before the next starts, which gives the same outcome as
DynamoDB's per-item serialisation.

Usage: python scripts/moto_server.py [--host 127.0.0.1] [--port PORT]
The port defaults to $TWOFOLD_MOTO_PORT, then 5055.
"""

import argparse
import os
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("TWOFOLD_MOTO_PORT", "5055")),
    )
    args = parser.parse_args()

    # moto builds some ARNs and URLs from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    # Leave quietly on Ctrl-C or a stop from scripts/lib/stack.sh.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
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

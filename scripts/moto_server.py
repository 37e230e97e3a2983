"""Serve moto's AWS emulator (DynamoDB, SES v2, SNS, ...) one request at a time.

`moto_server` answers requests on threads, and moto's DynamoDB backend takes
no locks: two concurrent conditional writes can both pass their condition, so
a guarded counter or a uniqueness transaction over-succeeds. AWS never does
that, and the store tests check it. Served on a single thread, each request
runs to completion before the next starts, which gives the same outcome as
DynamoDB's per-item serialisation.

Usage: python scripts/moto_server.py [--host 127.0.0.1] [--port PORT]
                                    [--policies TEMPLATE] [--count-requests]
The port defaults to $TWOFOLD_MOTO_PORT, then 5055. With --policies, each
function's calls are held to its IAM policy in the SAM template and a call
it is not allowed is refused with AccessDeniedException, as in AWS (see
scripts/template_iam.py). With --count-requests
(scripts/bench), every request is counted by its operation, the
X-Amz-Target header of JSON protocols (DynamoDB) or else method and path
(SES v2), and GET /twofold/requests answers the counts so far as JSON.
A DynamoDB request that carries several items (BatchGetItem,
BatchWriteItem, TransactGetItems, TransactWriteItems) is also counted by
its items, under the operation's name followed by " items": DynamoDB bills
those by the item, not by the request.
"""

import argparse
import io
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

from template_iam import Policies


COUNTS_PATH = "/twofold/requests"


def body_of(environ):
    """The request body, read once and put back for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def enforcing(app, policies):
    """Wraps the WSGI app so a function's call outside its IAM policy is
    refused, and logged, before moto sees it."""

    def enforced(environ, start_response):
        denied = policies.denial(environ, body_of(environ))
        if denied is None:
            return app(environ, start_response)
        function, action, resource = denied
        message = (
            f"function {function} is not authorized to perform: {action} on "
            f"{resource} (infra/template.yaml gives its role no such permission)"
        )
        print(f"twofold: denied: {message}", file=sys.stderr, flush=True)
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Content-Length", str(len(body))),
                ("x-amzn-ErrorType", "AccessDeniedException"),
            ],
        )
        return [body]

    return enforced


def items_in(target, environ):
    """The items a multi-item DynamoDB request names, or None for any other
    request. Reads the body and puts it back for moto."""
    operation = target.rpartition(".")[2]
    if operation not in {
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }:
        return None
    request = json.loads(body_of(environ) or b"{}")
    if operation == "BatchGetItem":
        return sum(len(t.get("Keys", [])) for t in request["RequestItems"].values())
    if operation == "BatchWriteItem":
        return sum(len(writes) for writes in request["RequestItems"].values())
    return len(request.get("TransactItems", []))


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
        items = items_in(target or "", environ)
        if items is not None:
            key = f"{target} items"
            counts[key] = counts.get(key, 0) + items
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
    parser.add_argument("--policies", metavar="TEMPLATE")
    args = parser.parse_args()

    # moto builds some ARNs and URLs from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    # Leave quietly on Ctrl-C or a stop from scripts/lib/stack.sh.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    if args.policies:
        app = enforcing(app, Policies(args.policies))
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

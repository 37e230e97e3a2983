"""Print each email and text the local stack sends, as it is sent.

A developer-only view: moto keeps every message SES v2 and SNS accept, and
this polls moto's data API for new ones and prints who it went to, the
subject and the text, so a person can copy the confirmation code. It shows
codes in clear on purpose; nothing like it may run against real AWS.

Usage: python scripts/mailbox.py [--endpoint URL] [--log PATH]
"""

import argparse
import html.parser
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


class _Text(html.parser.HTMLParser):
    """Collects the text of an HTML body, one line per block."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("p", "br", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")


def plain(body: str) -> str:
    if "<" not in body:
        return body.strip()
    parser = _Text()
    parser.feed(body)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def messages(data: dict):
    """Yields (id, kind, to, subject, text) for every message moto holds."""
    for m in data.get("ses", {}).get("Message", []):
        dest = m.get("destinations") or {}
        to = ", ".join(
            dest.get("ToAddresses", []) + dest.get("CcAddresses", [])
            + dest.get("BccAddresses", [])
        )
        yield m.get("id"), "email", to, m.get("subject") or "", plain(m.get("body") or "")
    for m in data.get("ses", {}).get("RawMessage", []):
        to = ", ".join(m.get("destinations") or [])
        yield m.get("id"), "email", to, "(raw message)", (m.get("raw_data") or "").strip()
    for m in data.get("sns", {}).get("SMS", []):
        yield m.get("message_id"), "text", m.get("phone_number") or "", "", (
            m.get("message") or ""
        ).strip()


def show(kind: str, to: str, subject: str, text: str) -> str:
    stamp = time.strftime("%H:%M:%S")
    lines = [f"[{stamp}] {kind} to {to}"]
    if subject:
        lines.append(f"  subject: {subject}")
    lines.extend(f"  | {line}" for line in text.splitlines())
    codes = CODE.findall(subject + "\n" + text)
    if codes:
        lines.append(f"  code: {codes[-1]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--endpoint",
        default=os.environ.get(
            "AWS_ENDPOINT_URL",
            f"http://127.0.0.1:{os.environ.get('TWOFOLD_MOTO_PORT', '5055')}",
        ),
    )
    parser.add_argument("--log", help="also append every message to this file")
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()

    url = args.endpoint.rstrip("/") + "/moto-api/data.json"
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    seen: set = set()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                data = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(args.interval)
            continue
        for key, kind, to, subject, text in messages(data):
            if key in seen:
                continue
            seen.add(key)
            out = show(kind, to, subject, text)
            sys.stdout.write(out)
            sys.stdout.flush()
            if log:
                log.write(out)
                log.flush()
        time.sleep(args.interval)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

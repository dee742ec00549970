"""A receiver of Followup's change notifications: checks each request's signature, refuses a replay,
drops a duplicate, and prints the event. Run it, point a subscriber at it, and watch changes arrive:

    pip install standardwebhooks
    FOLLOWUP_WEBHOOK_SECRET=whsec_... python scripts/webhook_receiver.py --port 9000

The check is Standard Webhooks' (standardwebhooks.com): HMAC-SHA256 under the subscriber's secret over
`<webhook-id>.<webhook-timestamp>.<body>`, the timestamp within 5 minutes of now. Answer 2xx only once the
event is safely stored: anything else (or no answer within 10 s) and Followup sends it again later, with
the same `webhook-id`, so the receiver must drop what it has already seen.

Only the Python standard library and the `standardwebhooks` package: copy it into any system.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def check(secret, body, headers):
    """The event (a dict) when the request is signed with `secret` and fresh; raises ValueError if not."""
    try:
        return Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError) as error:  # a malformed signature header is a ValueError
        raise ValueError(f"refused: {error}") from None


class Receiver(ThreadingHTTPServer):
    """An HTTP server that accepts signed events once each and hands them to `on_event(event_id, event)`."""

    def __init__(self, address, secret, on_event, answer=204):
        super().__init__(address, Handler)
        self.secret, self.on_event, self.answer = secret, on_event, answer
        self.seen = set()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            event = check(self.server.secret, body, dict(self.headers))
        except ValueError as error:
            self.send_response(401)
            self.end_headers()
            self.wfile.write(str(error).encode())
            return
        event_id = self.headers["webhook-id"]
        with self.server.lock:
            duplicate = event_id in self.server.seen
            self.server.seen.add(event_id)
        if not duplicate:
            self.server.on_event(event_id, event)
        self.send_response(self.server.answer)
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the http.server signature
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args(argv)
    secret = os.environ.get("FOLLOWUP_WEBHOOK_SECRET")
    if not secret:
        sys.exit("Set FOLLOWUP_WEBHOOK_SECRET to the subscriber's secret (the admin shows it).")

    def show(event_id, event):
        print(json.dumps({"id": event_id, **event}), flush=True)

    server = Receiver((options.host, options.port), secret, show)
    print(f"Listening on http://{options.host}:{options.port}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

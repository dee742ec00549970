"""Twilio's Messages API as a fake at Twilio's own HTTP layer: the official SDK still builds every
request and parses every answer. It keeps the messages it accepted and lists them like Twilio does
(to, from, send date filters; newest first). `SmsBackend` is the Twilio backend wired to the one
module-level fake, so SMS_BACKEND can name it like any backend."""

import json
import logging
from datetime import UTC, datetime
from email.utils import format_datetime

from twilio.http import HttpClient
from twilio.http.response import Response

from followup.messaging.backends import twilio


class FakeTwilioApi(HttpClient):
    def __init__(self):
        super().__init__(logger=logging.getLogger("tests.fake_twilio"), is_async=False)
        self.reset()

    def reset(self):
        self.messages, self.requests, self.down = [], [], False

    def accepted(self, to, body, sender="+12025550199", status="delivered", at=None):
        """A message Twilio holds, as if sent through it; returns its sid."""
        at = at or datetime.now(UTC)
        sid = f"SM{len(self.messages) + 1:032d}"
        self.messages.append({"sid": sid, "to": to, "from": sender, "body": body, "status": status,
                              "date_created": format_datetime(at), "date_sent": format_datetime(at), "_at": at})
        return sid

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "params": params, "data": data})
        if self.down:
            import requests

            raise requests.exceptions.ConnectionError("Twilio unreachable")
        if method == "POST":
            sid = self.accepted(data["To"], data["Body"], data["From"], status="queued")
            return Response(201, json.dumps(self._public(self.messages[-1]) | {"sid": sid}))
        params = params or {}
        since = params.get("DateSent>")
        listed = [m for m in reversed(self.messages)
                  if m["to"] == params.get("To", m["to"]) and m["from"] == params.get("From", m["from"])
                  and (since is None or m["_at"].date().isoformat() >= since[:10])]
        return Response(200, json.dumps({"messages": [self._public(m) for m in listed], "next_page_uri": None,
                                         "page": 0, "page_size": len(listed)}))

    @staticmethod
    def _public(message):
        return {key: value for key, value in message.items() if not key.startswith("_")}


api = FakeTwilioApi()


class SmsBackend(twilio.SmsBackend):
    def __init__(self):
        super().__init__(http_client=api)

"""A patient's telephone for the voice tests: it answers a call, keys digits and hangs up, each as a
signed webhook request the way Twilio sends them, and reads back the TwiML with an XML parser."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

TOKEN = "test-twilio-auth-token"
SITE = "https://followup.example.org"


def sign(path, params, token=TOKEN):
    return RequestValidator(token).compute_signature(SITE + path, params)


def post_signed(client, path, params, token=TOKEN):
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params, token))


@dataclass
class Twiml:
    """One TwiML answer, parsed."""

    status: int
    root: ET.Element

    @property
    def says(self):
        """Every <Say> in document order, nested in a <Gather> or not: (text, language, voice)."""
        return [(say.text or "", say.get("language"), say.get("voice")) for say in self.root.iter("Say")]

    @property
    def words(self):
        return " ".join(text for text, _, _ in self.says)

    @property
    def languages(self):
        return {language for _, language, _ in self.says}

    @property
    def gather(self):
        return self.root.find("Gather")

    @property
    def hangs_up(self):
        return self.root.find("Hangup") is not None

    @property
    def dials(self):
        dial = self.root.find("Dial")
        return None if dial is None else (dial.text or "").strip()


class Phone:
    """The phone at the other end of one call (CallSid `sid`)."""

    def __init__(self, client, sid, url):
        self.client = client
        self.sid = sid
        self.url = url  # the voice webhook Twilio was given when the call was placed
        self.last = None

    def _post(self, url, **params):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = post_signed(self.client, path, {"CallSid": self.sid, **params})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        self.last = Twiml(response.status_code, ET.fromstring(response.content))
        return self.last

    def answer(self, answered_by="human"):
        return self._post(self.url, CallStatus="in-progress", AnsweredBy=answered_by)

    def key(self, digits):
        """Key `digits` into the current <Gather> (None: silence until it times out)."""
        gather = self.last.gather
        assert gather is not None, "nothing is asking for a key"
        return self._post(gather.get("action"), **({} if digits is None else {"Digits": digits}))

    def hang_up(self, client=None, status="completed"):
        parts = urlsplit(SITE + "/webhooks/twilio/voice/status/")
        response = post_signed(client or self.client, parts.path, {"CallSid": self.sid, "CallStatus": status})
        assert response.status_code == 200
        return response

"""Locust users for bench/load/run.py: nurses on the worklist, patients on the symptom form.

Run through bench/load/run.py, which starts the server and writes the links file. Read from the
environment:
    FOLLOWUP_LINKS_FILE   JSON list of symptom-form paths (/s/<signed>/) issued before the run
    FOLLOWUP_WAIT_MIN / FOLLOWUP_WAIT_MAX   seconds each user waits between two requests (default 1 and 2)

The server runs without TLS on loopback. Each request says `X-Forwarded-Proto: https`, as the TLS proxy
in front of gunicorn does in production (gunicorn trusts it from 127.0.0.1), so the production
settings apply unchanged: no HTTPS redirect, Secure cookies, CSRF checks with an https Referer.
"""

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN = "/login/"
NURSES = ("nurse", "nurse2")  # seed_demo's nurses of the first and the second clinic
PASSWORD = "followup-demo"

_links = json.loads(Path(os.environ["FOLLOWUP_LINKS_FILE"]).read_text())
random.Random(7).shuffle(_links)
# A tenth of the links are sent (each works once); the rest are only opened, so an open never meets a used link.
TO_SEND = _links[: len(_links) // 10]
TO_OPEN = _links[len(_links) // 10:]


class Browser(HttpUser):
    abstract = True
    wait_time = between(float(os.environ.get("FOLLOWUP_WAIT_MIN", "1")), float(os.environ.get("FOLLOWUP_WAIT_MAX", "2")))

    def on_start(self):
        self.client.headers["X-Forwarded-Proto"] = "https"
        self.origin = "https://" + self.host.split("://", 1)[1].rstrip("/")

    def _send_secure_cookies(self):
        """The session and CSRF cookies are marked Secure, which the client keeps to https URLs: over
        loopback they go back as they would through the TLS proxy."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get_page(self, path, name, expect=200):
        self._send_secure_cookies()
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != expect:
                response.failure(f"{name} answered {response.status_code}")
                return None
            return response

    def post_form(self, path, page, data, name, expect=302):
        found = CSRF.search(page.text)
        if found is None:
            return None
        data = {"csrfmiddlewaretoken": found.group(1), **data}
        self._send_secure_cookies()
        with self.client.post(path, data=data, name=name, headers={"Referer": self.origin + path}, catch_response=True,
                              allow_redirects=False) as response:
            if response.status_code != expect:
                response.failure(f"{name} answered {response.status_code}")
                return None
            return response


class Nurse(Browser):
    """Signs in once, then reloads the worklist."""

    weight = 3

    def on_start(self):
        super().on_start()
        page = self.get_page(LOGIN, "sign-in page")
        if page is not None:
            self.post_form(LOGIN, page, {"username": random.choice(NURSES), "password": PASSWORD, "next": ""}, "sign in")

    @task
    def worklist(self):
        self.get_page("/", "worklist")


class Patient(Browser):
    """Opens a symptom form from a text message; now and then fills it in and sends it."""

    weight = 2

    @task(9)
    def open_form(self):
        self.get_page(random.choice(TO_OPEN), "symptom form")

    @task(1)
    def send_form(self):
        if not TO_SEND:
            return self.open_form()
        path = TO_SEND.pop()
        page = self.get_page(path, "symptom form")
        if page is None:
            return None
        scores = {"pain": "3", "tiredness": "5", "drowsiness": "2", "nausea": "1", "lack_of_appetite": "4",
                  "shortness_of_breath": "2", "depression": "1", "anxiety": "3", "wellbeing": "4", "other_problem": ""}
        sent = self.post_form(path, page, {"completed_by": "patient", "other_problem_name": "", **scores}, "symptom form sent")
        if sent is not None:
            self.get_page(sent.headers["Location"], "thank-you page")
        return None

"""Sessions end after an hour without activity (settings.SESSION_COOKIE_AGE): clinic laptops are shared.

The session's expiry moves on with activity, but at most once every SESSION_REFRESH_SECONDS (a minute)
rather than on every request (Django's SESSION_SAVE_EVERY_REQUEST): an idle session ends between 59
and 60 minutes after its last request, and a nurse reloading the worklist costs no database write.
"""

import time

from django.conf import settings

REFRESHED_AT = "_followup_refreshed_at"


class IdleTimeoutMiddleware:
    """After SessionMiddleware, which saves a session marked modified and renews its cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # An empty session (nobody signed in, or just signed out) has nothing to keep alive.
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_AT] = now
        return response

"""Logs for production: one JSON object per line, and never a phone number or an e-mail address.

    LOG_FORMAT=json    {"time": "2026-03-02T14:05:09.123Z", "level": "INFO", "logger": "followup.messaging.delivery",
                        "message": "reminder 8812 sent by sms", "process": 4121}

The code logs ids only. `RedactContactDetails` is the net under that rule: a message, its
arguments, its extra fields or an exception's text that happens to hold a number like +12025550123
or an address like alice@example.org is printed with `[phone]` / `[email]` in its place. It also
hides the secret of every secret URL (`/s/[link]/`, `/calendar/[link].ics`): each opens a patient's
form or a calendar for whoever holds it, so access logs must not hand them to anyone who reads logs.

Django, Celery, runserver's request lines (`django.server`) and gunicorn's access and error logs
all go through this filter (settings.LOGGING and deploy/gunicorn.conf.py use `logging_config`).
"""

import json
import logging
import re
from datetime import UTC, datetime

PHONE = re.compile(
    r"(?<![\w+])\+\d(?:[\s().-]{0,2}\d){6,14}"  # E.164 and spaced international forms: +12025550123, +1 202-555-0123
    r"|(?<![\w+])\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"  # North American forms: (202) 555-0123, 202.555.0123
)
EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# Every URL whose path holds a secret: the path segment right after one of these prefixes is the
# secret, and logs show `[link]` in its place. A feature that adds a secret URL adds its prefix here
# (and a case to tests/test_secret_urls_in_logs.py). Keep each prefix specific enough that it only
# starts secret URLs: a segment is masked only when it looks like a token (16+ URL-safe characters).
SECRET_URL_PREFIXES = [
    "/s/",  # the patient's symptom form: /s/<token>.<signature>/ (followup.symptom_links)
    "/d/",  # a caregiver's home-drainage log: /d/<token>.<signature>/ (followup.catheter)
    "/calendar/",  # a calendar feed: /calendar/<token>.ics (followup.calendar.feeds)
    "/u/",  # an e-mail's unsubscribe link: /u/<token>/ (followup.messaging.email)
]
# A token: URL-safe base64 runs, joined by "." or ":" (a signed value), 16 characters or more; the
# ".ics" of a feed is kept. One pass, no backtracking beyond the 16-character look-ahead.
_SECRET = r"(?=[A-Za-z0-9_.:-]{16})[A-Za-z0-9_-]{8,}(?:[.:][A-Za-z0-9_-]{8,})*"


def _secret_urls():
    prefixes = "|".join(re.escape(prefix) for prefix in SECRET_URL_PREFIXES)
    return re.compile(f"({prefixes}){_SECRET}")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is printed as a field.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text):
    """`text` with phone numbers, e-mail addresses and the secrets of secret URLs masked."""
    text = _secret_urls().sub(r"\1[link]", text)  # first: a token may hold digits that look like a number
    text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_redact_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _redact_value(item) for key, item in value.items()}
    return redact(str(value))


class RedactContactDetails(logging.Filter):
    """Masks contact details in every record that reaches the handler it is attached to.

    Attached to the handler rather than a logger, because a logger's filters do not see records
    that propagate up from its children. The message is formatted once here and its arguments
    dropped, so a phone number passed as an argument is masked like one written into the text.
    """

    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS:
                setattr(record, name, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message, the
    record's extra fields, and the exception's traceback when there is one."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and name not in entry:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(log_format, level, loggers=None):
    """The one logging set-up of every process (Django's settings, gunicorn's config): a console
    handler in `log_format` ("plain" or "json") that masks contact details in every record.
    `loggers` are extra named loggers, sent through this handler rather than their own."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # On the handler, so it also sees records from every library: no phone number or e-mail address is printed.
        "filters": {"no_contact_details": {"()": "followup.jsonlog.RedactContactDetails"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "followup.jsonlog.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["no_contact_details"],
                        "stream": "ext://sys.stderr"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {name: {"handlers": [], "level": logger_level, "propagate": True} for name, logger_level in (loggers or {}).items()},
    }


"""Followup settings: one module, read from the environment through a few typed helpers.

The defaults just work for development (SQLite, console SMS, console e-mail, local Redis).
Production sets DEBUG=false and must then give a real SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from followup.jsonlog import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_id_map(name):
    """`1=urn:oid:2.16.840.1.113883.19.5,2=https://mrn.example.org` to {1: "urn:oid:...", 2: "https://..."}:
    a value per database id (e.g. per clinic)."""
    found = {}
    for item in env_list(name, []):
        key, equals, value = item.partition("=")
        if not equals or not key.strip().isdigit() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be <id>=<value> pairs separated by commas, not {item!r}")
        found[int(key.strip())] = value.strip()
    return found


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-followup-development-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 32 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])
# FHIR: where Followup's own code systems live (blank: this server's FHIR base, where each is served) and
# each clinic's MRN identifier system (blank for a clinic: one under SITE_URL). Set both before another
# system stores these URIs; they then stay put when SITE_URL changes.
FHIR_TERMINOLOGY_BASE = env_str("FHIR_TERMINOLOGY_BASE", "").rstrip("/")
FHIR_MRN_SYSTEMS = env_id_map("FHIR_MRN_SYSTEMS")
# Browser apps on these origins (https://app.example.org) may call the API, FHIR and the token endpoint;
# no other origin gets CORS headers. Credentials (cookies) are never allowed cross-origin.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api|fhir|oauth|\.well-known)/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Location", "Content-Location"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "simple_history",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "followup",
    "followup.subscriptions",
    "followup.oauth",
    "corsheaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that answers (CommonMiddleware): a preflight needs its CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "followup.security_headers.ContentSecurityPolicyMiddleware",  # django-csp's, on DEBUG's 404 pages too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "followup.idle_timeout.IdleTimeoutMiddleware",
    # The browser's language on pages nobody signed in to (the sign-in page); staff pages then switch
    # to the language in the staff member's account, and patients' pages to the patient's own.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "followup.languages.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it sees a lock-out flagged anywhere during the request and answers with the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
    {
        # Texts and plain-text e-mails (templates/**/*.txt) are not HTML: rendered through this engine
        # (followup.messaging.rendering.render_text), "St. Mary's & Riverside" stays as written
        # instead of arriving as "St. Mary&#x27;s &amp; Riverside". HTML pages and e-mails use the one above.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock at BEGIN, so two dispatchers claiming
    # reminders serialise instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so a Celery worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "followup.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "worklist"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after an hour without activity: shared clinic laptops. The expiry moves on at most once
# a minute (followup/idle_timeout.py), not with a database write on every request.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60)
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# --- Production security (docs/security.md) -----------------------------------------------------
# HTTPS only: plain HTTP is redirected. Behind a TLS-terminating proxy either let the proxy redirect
# (SECURE_SSL_REDIRECT=false) or have it send X-Forwarded-Proto and set SECURE_PROXY_SSL_HEADER=true.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
# The client's address for the audit log and the sign-in lock-out: REMOTE_ADDR, or with a proxy in
# front (TRUSTED_PROXY=true) the first X-Forwarded-For address, which that proxy must set itself.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is near-irreversible for the whole domain, so it is the operator's choice, not a default;
# while it is off, the deploy check's reminder about it (W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: htmx and the pages load everything from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+IP before any password is checked.
    "followup.views.accounts.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes): five failures for one username from one address lock that pair
# out for 30 minutes. Attempts are stored in the database, so every web process sees them.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lock-out ends 30 minutes after the failure that caused it, so the page can say when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "followup.views.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "followup.audit.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins and sign-outs are in Followup's own audit log
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Followup")

# The audit log (followup.models.AccessLog) is kept at least six years (HIPAA 45 CFR 164.316(b)(2)):
# `manage.py prune_access_log` deletes only rows older than this.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 2192)
if AUDIT_RETENTION_DAYS < 2192:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 2192 (six years).")

# Languages (README "Languages"): each one is a gettext catalogue, locale/<code>/LC_MESSAGES/django.po,
# and a reviewed ESAS-r wording table, locale/<code>/esas_r.toml. Names are written in the language
# itself, as a patient or a nurse looks for theirs in a list.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format per language for every page (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files from the web process. In production the files are collected and
# hashed (`manage.py collectstatic`) so they can be cached for ever; development and the tests read
# them straight from static/ and need no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "US")
PHONENUMBER_DB_FORMAT = "E164"

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # Systems: OAuth 2.0 client credentials (SMART Backend Services), docs/api.md.
        "followup.oauth.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "followup.oauth.authentication.TokenScopes"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "followup.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Followup API",
    "DESCRIPTION": "Palliative care follow-up: patients, schedules, procedures, symptom reports, reminders.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components, so read-only fields are not offered as input;
    # operation ids follow the resource, not the version prefix; enum names say which choice set.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CareKindEnum": "followup.models.care.Kind",
        "AlertActionEnum": "followup.models.care.Alert.Action",
        "CallOutcomeEnum": "followup.models.calls.CallAttempt.Outcome",
        "BereavementCallOutcomeEnum": "followup.models.life.BereavementCall.Outcome",
        "InboundMessageKindEnum": "followup.models.messaging.InboundMessage.Kind",
        "IntervalUnitEnum": "followup.scheduling.Unit",
        "OccurrenceStateEnum": "followup.models.care.Occurrence.State",
        "ReminderStateEnum": "followup.models.messaging.Reminder.State",
        "PatientStatusEnum": "followup.models.patients.Patient.Status",
        "PcocPhaseEnum": "followup.models.patients.Patient.Phase",
    },
    # The schema is validated by tests/test_api_schema.py; building it in every deploy check only slows it.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# --- Messaging ----------------------------------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "followup.messaging.backends.console.SmsBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms.jsonl"))
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
# Automated calls: who places them (console prints what a call would say), how long a call rings
# before it counts as no-answer, and whether Twilio Lookup fills in a new number's line type.
VOICE_BACKEND = env_str("VOICE_BACKEND", "followup.voice.backends.ConsoleVoiceBackend")
VOICE_FILE_PATH = env_str("VOICE_FILE_PATH", str(BASE_DIR / "var" / "calls.jsonl"))
FOLLOWUP_CALL_RING_SECONDS = env_int("FOLLOWUP_CALL_RING_SECONDS", 30)
TWILIO_LOOKUP_LINE_TYPE = env_bool("TWILIO_LOOKUP_LINE_TYPE", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_SSL_CERTFILE = env_str("EMAIL_SSL_CERTFILE", "") or None
EMAIL_SSL_KEYFILE = env_str("EMAIL_SSL_KEYFILE", "") or None
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# The filebased backend writes each e-mail to a file in this directory (it cannot compose without one).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "email"))
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX", "[Followup] ")
EMAIL_USE_LOCALTIME = env_bool("EMAIL_USE_LOCALTIME", False)
# Patients' e-mails come from the clinic's name in messages at this address, replying to the
# clinic's reply-to address (followup.messaging.email).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Followup <no-reply@example.org>")
SERVER_EMAIL = env_str("SERVER_EMAIL", "root@localhost")
ANYMAIL = {key[len("ANYMAIL_"):]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}

# The console backends print every text and e-mail, live symptom-form links and addresses included,
# into the process's log. They are the development default; with DEBUG off a real backend must be
# chosen, unless ALLOW_CONSOLE_BACKENDS=true says that printing them is intended (a demo, a load test).
# A console voice backend in production would place no call at all while recording each as made.
CONSOLE_BACKENDS = {"followup.messaging.backends.console.SmsBackend", "django.core.mail.backends.console.EmailBackend",
                    "followup.voice.backends.ConsoleVoiceBackend"}
ALLOW_CONSOLE_BACKENDS = env_bool("ALLOW_CONSOLE_BACKENDS", False)
for _name, _backend in (("SMS_BACKEND", SMS_BACKEND), ("EMAIL_BACKEND", EMAIL_BACKEND), ("VOICE_BACKEND", VOICE_BACKEND)):
    if not DEBUG and _backend in CONSOLE_BACKENDS and not ALLOW_CONSOLE_BACKENDS:
        raise ImproperlyConfigured(
            f"{_name} is a console backend ({_backend}), which prints live links and addresses: with DEBUG off "
            f"set a real {_name}, or ALLOW_CONSOLE_BACKENDS=true if printing messages is intended."
        )

# --- Cache --------------------------------------------------------------------------------------
# Per process by default. With several web processes, point CACHE_URL at Redis (e.g. a separate
# database: redis://127.0.0.1:6379/1) so they share the worklist's cached catheter advisories.
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Send tasks are idempotent (a conditional UPDATE guards every provider call), so a task lost
# with its worker is redelivered rather than dropped.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BEAT_SCHEDULE = {
    "dispatch-reminders": {
        "task": "followup.tasks.dispatch_tick",
        "schedule": crontab(),  # every minute; the tick is safe to run twice
        "options": {"expires": 55},
    },
    "care-tick": {
        "task": "followup.tasks.care_tick",
        "schedule": crontab(),  # every minute: past-day check-ins become missed, overdue alerts escalate
        "options": {"expires": 55},
    },
    "deliver-webhooks": {
        "task": "followup.subscriptions.tasks.webhook_tick",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
}
# Change notifications have their own queue (and worker: Procfile `webhooks`), so a subscriber that is
# slow or down never keeps a reminder waiting for a worker.
CELERY_TASK_ROUTES = {"followup.subscriptions.tasks.*": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))

# How long a reminder may sit in `sending` before we call its outcome unknown.
FOLLOWUP_SENDING_TIMEOUT = timedelta(seconds=env_int("FOLLOWUP_SENDING_TIMEOUT_SECONDS", 10 * 60))
# How long a claimed reminder may wait for a worker before the tick hands it out again.
FOLLOWUP_QUEUED_TIMEOUT = timedelta(seconds=env_int("FOLLOWUP_QUEUED_TIMEOUT_SECONDS", 5 * 60))
FOLLOWUP_DISPATCH_BATCH = env_int("FOLLOWUP_DISPATCH_BATCH", 100)
# How many rows of a batch a worker takes for sending in one transaction: at most this many per
# worker process end `unknown` if it is killed mid-send (1 is strictest, 10 is about twice as fast).
FOLLOWUP_SEND_CHUNK = env_int("FOLLOWUP_SEND_CHUNK", 10)
FOLLOWUP_TICK_LATE_AFTER = timedelta(minutes=5)
# How many reminders in doubt (`unknown`) one tick asks the provider about (docs/operations.md).
FOLLOWUP_RECONCILE_BATCH = env_int("FOLLOWUP_RECONCILE_BATCH", 100)

# Change notifications (outbound webhooks, docs/api.md): per POST, seconds to connect and to wait for an
# answer; attempts before giving up (1, 2, 4 ... minutes apart, at most 4 hours: 10 attempts span ~8.5 hours).
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 5)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_SEND_BATCH = env_int("WEBHOOK_SEND_BATCH", 20)
WEBHOOK_QUEUED_TIMEOUT = timedelta(minutes=5)
WEBHOOK_SENDING_TIMEOUT = timedelta(minutes=5)

# --- Hospital interface: HL7 v2 ADT over MLLP (manage.py hl7_listener) -------------------------------
HL7_MLLP_HOST = env_str("HL7_MLLP_HOST", "127.0.0.1")
HL7_MLLP_PORT = env_int("HL7_MLLP_PORT", 2575)
# A frame larger than this closes the connection (ADT messages are a few kilobytes).
HL7_MLLP_MAX_BYTES = env_int("HL7_MLLP_MAX_BYTES", 1024 * 1024)
# A frame begun must end within this many seconds, or the connection is closed.
HL7_MLLP_FRAME_TIMEOUT = env_int("HL7_MLLP_FRAME_TIMEOUT_SECONDS", 10)
# A connection that sends nothing for this long is closed (interface engines reconnect on their own).
HL7_MLLP_IDLE_TIMEOUT = env_int("HL7_MLLP_IDLE_TIMEOUT_SECONDS", 600)
HL7_MLLP_MAX_CONNECTIONS = env_int("HL7_MLLP_MAX_CONNECTIONS", 50)
for _name in ("HL7_MLLP_PORT", "HL7_MLLP_MAX_BYTES", "HL7_MLLP_FRAME_TIMEOUT", "HL7_MLLP_IDLE_TIMEOUT", "HL7_MLLP_MAX_CONNECTIONS"):
    if globals()[_name] < (0 if _name == "HL7_MLLP_PORT" else 1) or (_name == "HL7_MLLP_PORT" and HL7_MLLP_PORT > 65535):
        raise ImproperlyConfigured(f"{_name} is out of range: {globals()[_name]}")

# --- Operations ---------------------------------------------------------------------------------
# GET /metrics answers only a request carrying `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters (or unset, which turns /metrics off).")

# plain for development; json in production: one JSON object per line for a log collector.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
# Django's defaults give its own loggers console handlers of their own, unfiltered: send them through ours.
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"),
                         loggers=dict.fromkeys(("django", "django.server"), env_str("LOG_LEVEL", "INFO")))

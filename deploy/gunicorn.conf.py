"""gunicorn settings for Followup's web process.

    gunicorn config.wsgi --config deploy/gunicorn.conf.py

Every value can be changed from the environment, so one file serves a laptop and a server:

    GUNICORN_BIND       where to listen (default 127.0.0.1:8000: put a TLS-terminating proxy in front)
    WEB_CONCURRENCY     worker processes (default 2 x CPU cores + 1)
    GUNICORN_THREADS    threads per worker (default 1: sync workers; each holds one database connection)
    ACCESS_LOG          true to log one line per request (default false: the proxy usually does)
    LOG_FORMAT          plain or json, as for Django: gunicorn's own lines use the same format and the
                        same filter that masks phone numbers, e-mail addresses and secret URLs
"""

import multiprocessing
import os

from followup.jsonlog import logging_config

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Pages answer in well under a second; a request still running after 30 s is stuck and its worker is replaced.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Replace each worker after about a thousand requests, so slow memory growth never builds up.
max_requests = 1000
max_requests_jitter = 100
# X-Forwarded-* headers are trusted only from the proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The workers' heartbeat files on a memory file system: a slow disk must not make them look dead.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

_access_log = os.environ.get("ACCESS_LOG", "false").strip().lower() in {"1", "true", "yes", "on"}
_format = os.environ.get("LOG_FORMAT", "plain")
logconfig_dict = logging_config(
    _format, os.environ.get("LOG_LEVEL", "INFO"),
    loggers={"gunicorn.error": "INFO", "gunicorn.access": "INFO" if _access_log else "WARNING"},
)

"""What Celery processes do for operations, connected by `config/celery.py`:

- a worker checks at start-up that Redis will not evict queued tasks (`maxmemory-policy noeviction`);
- every task that raises adds one to a per-task counter in Redis, shown by /metrics;
- worker and beat log through Django's LOGGING (plain or JSON lines, contact details masked)
  instead of Celery's own set-up, with the level given by `-l`.

Celery offers these hooks only as signals. The handlers stay small and never raise: a failing
check must not stop a worker that could otherwise send reminders.

This module is imported while Celery's app is being made, before Django is set up: it must not
import models at module level.
"""

import logging

import redis
from celery import signals
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

TASK_FAILURES_KEY = "followup:task-failures"  # a Redis hash: task name -> failures


def client_for(url):
    """A Redis client that gives up after one quick retry: these are checks and counters, not deliveries."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 1))


def _redis_url(app):
    url = app.conf.broker_url or ""
    first = url.split(";")[0].strip()  # a failover list names its servers separated by ";"
    return first if first.startswith(("redis://", "rediss://", "unix://")) else None


def check_eviction_policy(client):
    """Log a WARNING unless Redis runs with `maxmemory-policy noeviction`. Returns the policy read,
    or None when Redis would not say (a managed Redis that forbids CONFIG, or no answer)."""
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError as error:  # CONFIG renamed, disabled or refused by an ACL
        logger.info("Could not check Redis maxmemory-policy (%s). Make sure it is noeviction: an evicting Redis "
                    "can silently drop queued reminder tasks.", type(error).__name__)
        return None
    except redis.RedisError as error:
        logger.info("Could not check Redis maxmemory-policy: %s", type(error).__name__)
        return None
    if policy is None:
        logger.info("Redis did not report its maxmemory-policy. Make sure it is noeviction.")
    elif policy != "noeviction":
        logger.warning(
            "Redis maxmemory-policy is %s, not noeviction: when Redis fills up it may silently drop queued reminder "
            "tasks (the dispatch tick hands them out again only after FOLLOWUP_QUEUED_TIMEOUT). "
            "Set maxmemory-policy noeviction in redis.conf.", policy)
    return policy


def count_task_failure(url, task_name):
    try:
        client_for(url).hincrby(TASK_FAILURES_KEY, task_name, 1)
    except redis.RedisError as error:
        logger.warning("could not count a failure of %s: %s", task_name, type(error).__name__)


def connect_signals(app):
    """Connect the handlers for `app`. Called once, from config/celery.py."""

    def on_worker_ready(sender=None, **kwargs):
        url = _redis_url(app)
        if url:
            check_eviction_policy(client_for(url))

    def on_task_failure(sender=None, **kwargs):
        url = _redis_url(app)
        if url and sender is not None:
            count_task_failure(url, sender.name)

    def on_setup_logging(loglevel=None, **kwargs):
        from logging.config import dictConfig

        from django.conf import settings

        dictConfig(settings.LOGGING)
        if loglevel:
            logging.getLogger().setLevel(loglevel)

    signals.worker_ready.connect(on_worker_ready, weak=False)
    signals.task_failure.connect(on_task_failure, weak=False)
    signals.setup_logging.connect(on_setup_logging, weak=False)

"""A no-op task for bench/dispatch.py's baseline: counts itself in Redis so the run knows when all ran."""

import redis
from celery import shared_task
from django.conf import settings


@shared_task(ignore_result=True)
def noop(counter_key):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).incr(counter_key)

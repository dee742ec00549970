"""Celery application. Settings come from Django's settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("followup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker's start-up check of Redis's eviction policy, the task-failure counter behind /metrics,
# and Django's LOGGING (JSON lines, contact details masked) for worker and beat.
from followup.operations.worker import connect_signals  # noqa: E402

connect_signals(app)


# A misconfigured message channel stops the worker at start (Django's system checks), rather than
# failing every message it would send.
from celery import signals  # noqa: E402


@signals.worker_init.connect(weak=False)
def _check_channels(**kwargs):
    from followup.messaging.checks import run_at_worker_start

    run_at_worker_start()

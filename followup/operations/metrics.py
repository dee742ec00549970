"""The figures behind GET /metrics, in Prometheus's text format.

Every figure is read fresh from the database and Redis at scrape time by one collector registered
in a registry made for that request: nothing is kept in process memory, so any number of gunicorn
workers answer the same, and nothing counts twice. Only counts and ages leave: no names, numbers,
ids or message text.
"""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..messaging import delivery
from ..models import Alert, Heartbeat, HospitalMessage, HospitalNotice, InboundMessage, Reminder
from ..worklist import UNDER_CARE, WAITING_KINDS
from . import worker

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "celery"  # Celery's default queue: a Redis list of that name holds the waiting tasks


class FollowupCollector:
    """Reads the figures when the registry collects them (once per scrape)."""

    def __init__(self, now=None):
        self.now = now or timezone.now()

    def collect(self):
        try:
            yield from self._database_figures()
            database_up = 1
        except DatabaseError:
            logger.warning("metrics: the database did not answer")
            database_up = 0
        yield GaugeMetricFamily("followup_database_up", "1 when the database answered this scrape.", value=database_up)
        yield from self._broker_figures()

    def _database_figures(self):
        by_state = dict.fromkeys(Reminder.State.values, 0)
        unacknowledged = dict.fromkeys((state.value for state in Reminder.PROBLEMS), 0)
        rows = Reminder.objects.values("state").annotate(
            total=Count("pk"), unacknowledged=Count("pk", filter=Q(acknowledged_at__isnull=True))
        ).order_by()
        for row in rows:
            by_state[row["state"]] = row["total"]
            if row["state"] in unacknowledged:
                unacknowledged[row["state"]] = row["unacknowledged"]
        reminders = GaugeMetricFamily("followup_reminders", "Reminders by delivery state.", labels=["state"])
        for state, total in by_state.items():
            reminders.add_metric([state], total)
        yield reminders

        problems = GaugeMetricFamily(
            "followup_reminder_problems_unacknowledged",
            "Failed, unknown and expired reminders no nurse has acknowledged yet.", labels=["state"])
        for state, total in unacknowledged.items():
            problems.add_metric([state], total)
        yield problems

        due = Reminder.objects.filter(state__in=Reminder.UNSENT, send_at__lte=self.now).count()
        yield GaugeMetricFamily("followup_reminders_due", "Reminders whose send time has come, not yet taken by a worker "
                                "(planned, or queued for a worker).", value=due)

        last_tick = Heartbeat.last(delivery.TICK)
        if last_tick is not None:
            yield GaugeMetricFamily("followup_dispatch_tick_age_seconds", "Seconds since the dispatch tick last ran.",
                                    value=(self.now - last_tick).total_seconds())
        yield GaugeMetricFamily("followup_dispatch_tick_late",
                                "1 when the dispatch tick has not run for FOLLOWUP_TICK_LATE_AFTER, or never ran.",
                                value=int(delivery.tick_is_late(self.now)))

        waiting = InboundMessage.objects.filter(handled_at__isnull=True, kind__in=WAITING_KINDS).count()
        yield GaugeMetricFamily("followup_inbound_messages_waiting", "Messages from patients and caregivers no nurse "
                                "has marked handled.", value=waiting)

        alerts = GaugeMetricFamily("followup_alerts_unacknowledged", "Symptom alerts of patients under care no nurse "
                                   "has acknowledged (one per report): kind severe when an item scored 7 or more.",
                                   labels=["kind"])
        open_alerts = {"severe": 0, "other": 0}
        for row in (Alert.objects.filter(acknowledged_at__isnull=True, patient__status__in=UNDER_CARE)
                    .values("severe").annotate(total=Count("pk")).order_by()):
            open_alerts["severe" if row["severe"] else "other"] = row["total"]
        for kind, total in open_alerts.items():
            alerts.add_metric([kind], total)
        yield alerts
        yield from self._hospital_figures()

    def _hospital_figures(self):
        """The HL7 listener's traffic, read from the message log (so every listener process counts)."""
        by_outcome = dict.fromkeys(HospitalMessage.Outcome.values, 0)
        for outcome, total in HospitalMessage.objects.values_list("outcome").annotate(n=Count("pk")).order_by():
            by_outcome[outcome] = total
        received = CounterMetricFamily("followup_hospital_messages", "HL7 messages received from the hospital, by "
                                       "outcome (applied, ignored, not_applied = AE, refused = AR).", labels=["outcome"])
        for outcome, total in by_outcome.items():
            received.add_metric([outcome], total)
        yield received
        repeats = HospitalMessage.objects.aggregate(total=Sum("repeats"))["total"] or 0
        yield CounterMetricFamily("followup_hospital_message_repeats", "HL7 messages received again with a message id "
                                  "already answered (answered with the same ACK, nothing changed).", value=repeats)
        last = HospitalMessage.objects.order_by("-received_at").values_list("received_at", flat=True).first()
        if last is not None:
            yield GaugeMetricFamily("followup_hospital_last_message_age_seconds", "Seconds since the last HL7 message "
                                    "came in.", value=(self.now - last).total_seconds())
        waiting = GaugeMetricFamily("followup_hospital_notices_open", "What the hospital left for a nurse (back home?, "
                                    "a phone to confirm, merged records, a death without its time), not yet answered, "
                                    "for patients under care.", labels=["kind"])
        open_notices = dict.fromkeys(HospitalNotice.Kind.values, 0)
        for kind, total in (HospitalNotice.objects.filter(closed_at__isnull=True, patient__status__in=UNDER_CARE)
                            .values_list("kind").annotate(n=Count("pk")).order_by()):
            open_notices[kind] = total
        for kind, total in open_notices.items():
            waiting.add_metric([kind], total)
        yield waiting

    def _broker_figures(self):
        try:
            client = worker.client_for(settings.CELERY_BROKER_URL)
            queue_length = client.llen(DEFAULT_QUEUE)
            failures = client.hgetall(worker.TASK_FAILURES_KEY)
        except redis.RedisError:
            yield GaugeMetricFamily("followup_broker_up", "1 when Redis answered this scrape.", value=0)
            return
        yield GaugeMetricFamily("followup_broker_up", "1 when Redis answered this scrape.", value=1)
        queue = GaugeMetricFamily("followup_celery_queue_length", "Tasks waiting in the Redis queue for a worker.",
                                  labels=["queue"])
        queue.add_metric([DEFAULT_QUEUE], queue_length)
        yield queue
        counter = CounterMetricFamily("followup_celery_task_failures", "Celery tasks that raised, by task, since Redis "
                                      "last started without its data.", labels=["task"])
        for task, count in sorted(failures.items()):
            counter.add_metric([task.decode()], int(count))
        yield counter


def render(now=None):
    """The scrape body: a registry of its own per call, so nothing accumulates between scrapes."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FollowupCollector(now))
    return generate_latest(registry)

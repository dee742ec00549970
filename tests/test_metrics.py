"""GET /metrics: Prometheus figures for operators, behind a bearer token, without PHI."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from followup import services
from followup.messaging import delivery
from followup.models import Heartbeat, InboundMessage, Reminder, SymptomReport
from followup.operations import worker
from followup.tasks import dispatch_tick

from .builders import due_text_reminders

TOKEN = "metrics-token-for-the-tests-0123456789"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def broker():
    """The Redis the test run provides; only the keys /metrics reads are touched."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete("celery", worker.TASK_FAILURES_KEY)
    yield client
    client.delete("celery", worker.TASK_FAILURES_KEY)


def scrape(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response


def figures(response):
    """{(sample name, (label, value), ...): value} from the text format."""
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


@pytest.mark.django_db
def test_metrics_do_not_exist_until_a_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything-at-all-here").status_code == 404


@pytest.mark.django_db
def test_a_request_without_a_bearer_token_gets_401(client, token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {token}").status_code == 401


@pytest.mark.django_db
def test_a_wrong_token_gets_403(client, token):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-metrics-token-at-all").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}x").status_code == 403


@pytest.mark.django_db
def test_only_get_is_allowed(client, token):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


@pytest.mark.django_db
def test_figures_match_the_reminders_alerts_messages_queue_and_tick(client, token, broker, enrolled_alice, riverside):
    with time_machine.travel(NOW, tick=False):
        rows = due_text_reminders(6)
        for row, state in zip(rows, ["sent", "sent", "unknown", "failed", "failed", "queued"], strict=True):
            Reminder.objects.filter(pk=row.pk).update(state=state)
        Reminder.objects.filter(pk=rows[3].pk).update(acknowledged_at=NOW)  # a nurse has seen one failure
        services.record_symptom_report(enrolled_alice, scores={"pain": 8}, completed_by=SymptomReport.CompletedBy.PATIENT,
                                       source=SymptomReport.Source.WEB)
        InboundMessage.objects.create(clinic=riverside, patient=enrolled_alice, provider_id="SM-waiting",
                                      from_number="+12025550101", body="Can someone call me?", kind=InboundMessage.Kind.OTHER)
        InboundMessage.objects.create(clinic=riverside, patient=enrolled_alice, provider_id="SM-stop",
                                      from_number="+12025550101", body="STOP", kind=InboundMessage.Kind.STOP)
        Heartbeat.beat(delivery.TICK, NOW - timedelta(seconds=42))
        broker.rpush("celery", "task-1", "task-2", "task-3")
        planned_by_enrolment = Reminder.objects.filter(state="planned").count()
        response = scrape(client, token)

    found = figures(response)
    assert found[("followup_reminders", ("state", "sent"))] == 2
    assert found[("followup_reminders", ("state", "unknown"))] == 1
    assert found[("followup_reminders", ("state", "failed"))] == 2
    assert found[("followup_reminders", ("state", "queued"))] == 1
    assert found[("followup_reminders", ("state", "planned"))] == planned_by_enrolment
    assert found[("followup_reminders", ("state", "delivered"))] == 0
    assert found[("followup_reminder_problems_unacknowledged", ("state", "failed"))] == 1
    assert found[("followup_reminder_problems_unacknowledged", ("state", "unknown"))] == 1
    assert found[("followup_reminder_problems_unacknowledged", ("state", "expired"))] == 0
    assert found[("followup_reminders_due",)] == 1  # the queued one; the enrolment's reminders are weeks away
    assert found[("followup_dispatch_tick_age_seconds",)] == 42
    assert found[("followup_dispatch_tick_late",)] == 0
    assert found[("followup_inbound_messages_waiting",)] == 1
    assert found[("followup_alerts_unacknowledged", ("kind", "severe"))] == 1
    assert found[("followup_alerts_unacknowledged", ("kind", "other"))] == 0  # one alert per report: severe or other
    assert found[("followup_celery_queue_length", ("queue", "celery"))] == 3
    assert found[("followup_database_up",)] == 1
    assert found[("followup_broker_up",)] == 1
    assert response["Content-Type"].startswith("text/plain; version=")


@pytest.mark.django_db
def test_no_name_number_or_message_text_leaves_in_the_figures(client, token, broker, enrolled_alice, riverside):
    InboundMessage.objects.create(clinic=riverside, patient=enrolled_alice, provider_id="SM-1",
                                  from_number="+12025550101", body="Pain is worse tonight", kind=InboundMessage.Kind.OTHER)
    body = scrape(client, token).content.decode()
    for private in ("Alice", "Archer", "RV-1001", "2025550101", "Pain is worse", "SM-1", "Riverside"):
        assert private not in body


@pytest.mark.django_db
def test_a_task_that_raises_is_counted_in_redis(client, token, broker):
    with mock.patch("followup.messaging.delivery.dispatch_due_reminders", side_effect=RuntimeError("database gone")):
        assert dispatch_tick.apply().failed()
        assert dispatch_tick.apply().failed()
    found = figures(scrape(client, token))
    assert found[("followup_celery_task_failures_total", ("task", "followup.tasks.dispatch_tick"))] == 2


@pytest.mark.django_db
def test_two_scrapes_report_the_same_figures(client, token, broker):
    with time_machine.travel(NOW, tick=False):
        due_text_reminders(3)
        Heartbeat.beat(delivery.TICK, NOW - timedelta(seconds=5))
        first, second = figures(scrape(client, token)), figures(scrape(client, token))
    assert first == second
    assert first[("followup_reminders", ("state", "planned"))] == 3


@pytest.mark.django_db
def test_a_late_or_missing_tick_is_flagged(client, token, broker):
    found = figures(scrape(client, token))
    assert found[("followup_dispatch_tick_late",)] == 1
    assert ("followup_dispatch_tick_age_seconds",) not in found
    with time_machine.travel(NOW, tick=False):
        Heartbeat.beat(delivery.TICK, NOW - timedelta(minutes=6))
        found = figures(scrape(client, token))
    assert found[("followup_dispatch_tick_late",)] == 1
    assert found[("followup_dispatch_tick_age_seconds",)] == 360


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_reported_not_a_500(client, token, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    found = figures(scrape(client, token))
    assert found[("followup_broker_up",)] == 0
    assert ("followup_celery_queue_length", ("queue", "celery")) not in found
    assert found[("followup_database_up",)] == 1

"""GET /healthz: what a load balancer and an operator need to know, as JSON."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followup.messaging import delivery
from followup.models import Heartbeat


@pytest.mark.django_db
def test_healthy_when_database_broker_and_tick_are_fine(client, settings):
    settings.METRICS_TOKEN = "a-metrics-token-of-some-length"
    Heartbeat.beat(delivery.TICK, timezone.now() - timedelta(seconds=30))
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer a-metrics-token-of-some-length")
    body = response.json()
    assert response.status_code == 200, body
    assert body["database"] == "ok" and body["broker"] == "ok" and body["tick"] == "ok"
    assert set(body["reminders"]) == {"due", "sending", "sent", "failed", "unknown", "expired"}
    assert 30 <= body["tick_age_seconds"] <= 35


@pytest.mark.django_db
def test_unhealthy_when_the_tick_is_older_than_five_minutes(client):
    Heartbeat.beat(delivery.TICK, timezone.now() - timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["tick"] == "late"


@pytest.mark.django_db
def test_unhealthy_when_no_tick_ever_ran(client):
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_unhealthy_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    Heartbeat.beat(delivery.TICK)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_health_carries_no_patient_data(client, enrolled_alice):
    Heartbeat.beat(delivery.TICK)
    text = client.get("/healthz").content.decode()
    assert "Alice" not in text and "555" not in text

"""The patient page tells the truth at a glance: a banner for deceased, discharged, paused, opted out
and no consent, with the date; and for a patient who is not active, no catheter advisory, no
suggested interval and no "receives reminders"."""

from datetime import timedelta

import pytest
import time_machine

from followup import services
from followup.models import Procedure
from tests.conftest import at

NOW = at("2026-03-20 15:00")


@pytest.fixture
def alice_drained_weekly(alice, dora):
    """Alice, drained every 7 days (a catheter advisory and a suggested interval), with Dora receiving texts."""
    with time_machine.travel(at("2026-02-01 15:00"), tick=False):
        services.enrol(alice)
    for week in range(5):
        Procedure.objects.create(patient=alice, kind="paracentesis", performed_at=at("2026-02-10 15:00") + timedelta(weeks=week))
    return alice


def banner(page):
    return page.split('class="status-banner')[1].split("</div>")[0] if 'class="status-banner' in page else ""


@time_machine.travel(NOW, tick=False)
def test_an_active_patient_has_no_status_banner_and_sees_the_advisory(client, nina, alice_drained_weekly):
    client.force_login(nina)
    page = client.get(f"/patients/{alice_drained_weekly.pk}/").content.decode()
    assert banner(page) == ""
    assert "Catheter advisory:" in page and "Suggested from their own history" in page
    assert "receives reminders by text message" in page


@time_machine.travel(NOW, tick=False)
def test_a_deceased_patient_shows_the_death_first_and_nothing_that_plans_care(client, nina, alice_drained_weekly):
    services.change_status(alice_drained_weekly, "deceased", by=nina, note="Died at home with family present.", at=at("2026-03-18 10:00"))
    client.force_login(nina)
    page = client.get(f"/patients/{alice_drained_weekly.pk}/").content.decode()
    shown = banner(page)
    assert "banner-deceased" in shown and "Deceased" in shown and "Wed 18 Mar 2026" in shown
    assert "Died at home with family present." in shown
    assert "Catheter advisory:" not in page
    assert "Suggested from their own history" not in page
    assert "receives reminders" not in page
    assert "no reminders while the patient is deceased" in page


@time_machine.travel(NOW, tick=False)
def test_a_discharged_patient_has_a_banner_with_the_date(client, nina, alice_drained_weekly):
    services.change_status(alice_drained_weekly, "discharged", by=nina, at=at("2026-03-19 10:00"))
    client.force_login(nina)
    shown = banner(client.get(f"/patients/{alice_drained_weekly.pk}/").content.decode())
    assert "banner-discharged" in shown and "Thu 19 Mar 2026" in shown and "Readmit to plan again" in shown


@time_machine.travel(NOW, tick=False)
def test_a_paused_patient_has_a_banner_and_no_advisory(client, nina, alice_drained_weekly):
    services.change_status(alice_drained_weekly, "paused", by=nina, note="In hospital")
    client.force_login(nina)
    page = client.get(f"/patients/{alice_drained_weekly.pk}/").content.decode()
    assert "banner-paused" in banner(page) and "No reminders go out while paused" in banner(page)
    assert "Catheter advisory:" not in page


@time_machine.travel(NOW, tick=False)
def test_an_opted_out_patient_has_a_banner_saying_since_when(client, nina, alice):
    alice.opt_out("SMS STOP", at=at("2026-03-01 12:00"))
    alice.save()
    client.force_login(nina)
    shown = banner(client.get(f"/patients/{alice.pk}/").content.decode())
    assert "Opted out of automated messages" in shown and "Sun 1 Mar 2026" in shown and "SMS STOP" in shown


@time_machine.travel(NOW, tick=False)
def test_a_patient_without_consent_has_a_banner(client, nina, alice):
    alice.consent_at = None
    alice.save()
    client.force_login(nina)
    assert "No consent to automated messages" in banner(client.get(f"/patients/{alice.pk}/").content.decode())

"""The catheter's life: the advisory and its answers, a catheter placed, home drainage logged by the
nurse or by the caregiver through a signed single-use link.

Alice (Riverside, New York) drains at shortening intervals; time is frozen in March 2026.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from followup import catheter, services, worklist
from followup.models import CareSchedule, Kind, Occurrence, Patient, Procedure, Reminder
from followup.views import timeline

NOW = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def drained_every_ten_days(patient, nina):
    """Drainages on 1, 11 and 21 March: median 10 days, the advisory shows."""
    services.enrol(patient, now=datetime(2026, 2, 20, 15, 0, tzinfo=UTC))
    for day in (1, 11, 21):
        with time_machine.travel(datetime(2026, 3, day, 16, 0, tzinfo=UTC), tick=False):
            services.record_procedure(patient, performed_at=datetime(2026, 3, day, 15, 0, tzinfo=UTC), volume_ml=5000,
                                      performed_by=nina)
    return Patient.objects.get(pk=patient.pk)


@pytest.fixture
def alice_draining(alice, nina):
    patient = drained_every_ten_days(alice, nina)
    with time_machine.travel(NOW, tick=False):
        yield patient


def advisories(user):
    return [row.patient.pk for row in worklist.build(user).catheter_advisories.rows]


def test_the_advisory_shows_for_an_active_patient_draining_often(alice_draining, nina):
    assert catheter.advisory(alice_draining)
    assert advisories(nina) == [alice_draining.pk]


def test_answering_the_advisory_silences_it_for_the_clinics_three_months(alice_draining, nina):
    answer = services.answer_advisory(alice_draining, answer="declined", answered_on=date(2026, 3, 30), by=nina,
                                      note="Discussed with Alice and her daughter")
    assert answer.silenced_until == date(2026, 6, 30)
    assert catheter.advisory(alice_draining) == ""
    assert advisories(nina) == []
    assert timeline.build(alice_draining)["advisory"] == ""
    with time_machine.travel(datetime(2026, 6, 30, 15, 0, tzinfo=UTC), tick=False):
        assert catheter.advisory(alice_draining)  # it comes back when the silence ends


def test_an_answer_in_the_future_is_refused(alice_draining):
    with pytest.raises(ValidationError) as refused:
        services.answer_advisory(alice_draining, answer="referred", answered_on=date(2026, 4, 2))
    assert list(refused.value.message_dict) == ["answered_on"]


def test_no_advisory_for_a_patient_who_is_not_active(alice_draining, nina):
    services.pause(alice_draining, reason="respite", review_on=date(2026, 4, 6))
    assert catheter.advisory(Patient.objects.get(pk=alice_draining.pk)) == ""
    assert advisories(nina) == []


def test_no_advisory_anywhere_for_a_patient_with_a_catheter(alice_draining, nina, client, leo):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 28), type="tunnelled", by=nina)
    alice = Patient.objects.get(pk=alice_draining.pk)
    assert catheter.advisory(alice) == ""
    assert advisories(nina) == []
    client.force_login(nina)
    page = client.get(reverse("patient", args=[alice.pk])).content.decode()
    assert "Catheter advisory:" not in page
    client.force_login(leo)
    report = client.get(reverse("reports:patient_drainages"))
    assert report.status_code == 200 and "Alice" in report.content.decode()
    assert "catheter" not in report.content.decode().split("Alice", 1)[1].split("</tr>", 1)[0].lower()


def test_a_catheter_placed_ends_the_paracentesis_series_and_starts_home_drainage(alice_draining, nina):
    open_drainage = alice_draining.occurrences.get(kind=Kind.PARACENTESIS, state="scheduled")
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled", by=nina)
    open_drainage.refresh_from_db()
    assert open_drainage.state == Occurrence.State.CANCELLED
    assert not alice_draining.schedules.filter(kind=Kind.PARACENTESIS, active=True).exists()
    home = CareSchedule.objects.get(patient=alice_draining, kind=Kind.HOME_DRAINAGE, active=True)
    assert (home.interval_count, home.interval_unit, home.sends_reminders) == (2, "days", False)
    first = home.occurrences.get(state="scheduled")
    assert first.due_date == date(2026, 4, 1)
    assert not first.reminders.exists()  # no automated reminders by default


def test_home_drainage_may_be_daily(alice_draining, nina):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled", interval_days=1)
    home = CareSchedule.objects.get(patient=alice_draining, kind=Kind.HOME_DRAINAGE)
    assert home.interval_count == 1
    services.record_home_drainage(alice_draining, performed_at=NOW - timedelta(hours=1), volume_ml=800, by=nina)
    assert home.occurrences.get(state="scheduled").due_date == date(2026, 3, 31)


def test_a_clinic_may_turn_home_drainage_reminders_on(alice_draining, nina):
    alice_draining.clinic.home_drainage_reminders = True
    alice_draining.clinic.save()
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    home = CareSchedule.objects.get(patient=alice_draining, kind=Kind.HOME_DRAINAGE)
    assert home.sends_reminders
    assert set(home.occurrences.get(state="scheduled").reminders.values_list("purpose", flat=True)) == {"morning_of"}


def test_a_second_catheter_is_refused(alice_draining):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    with pytest.raises(ValidationError) as refused:
        services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="port")
    assert list(refused.value.message_dict) == ["placed_on"]


def test_a_catheter_placed_in_the_future_is_refused(alice_draining):
    with pytest.raises(ValidationError) as refused:
        services.place_catheter(alice_draining, placed_on=date(2026, 4, 3), type="tunnelled")
    assert list(refused.value.message_dict) == ["placed_on"]


def test_a_home_drainage_volume_above_a_sane_bound_is_refused(alice_draining, nina):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    with pytest.raises(ValidationError) as refused:
        services.record_home_drainage(alice_draining, performed_at=NOW, volume_ml=9000, by=nina)
    assert list(refused.value.message_dict) == ["volume_ml"]
    assert not Procedure.objects.filter(kind=Kind.HOME_DRAINAGE).exists()


def test_the_caregiver_logs_a_home_drainage_through_a_single_use_link(alice_draining, dora, nina, client):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    url = catheter.issue_link(alice_draining, by=nina)
    path = url.split("://", 1)[-1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "Alice" in page.content.decode() and "Archer" not in page.content.decode()
    response = client.post("/" + path, {"performed_at": "2026-03-30T10:30", "volume_ml": "650", "name": "Dora Archer"})
    assert response.status_code == 302
    drainage = Procedure.objects.get(kind=Kind.HOME_DRAINAGE)
    assert (drainage.volume_ml, drainage.setting, drainage.performer_name, drainage.performer_role) == (
        650, "home", "Dora Archer", "caregiver")
    assert drainage.performed_at == datetime(2026, 3, 30, 14, 30, tzinfo=UTC)
    again = client.post("/" + path, {"performed_at": "2026-03-30T10:40", "volume_ml": "650", "name": "Dora Archer"})
    assert again.status_code == 410
    assert Procedure.objects.filter(kind=Kind.HOME_DRAINAGE).count() == 1


def test_a_changed_drainage_link_names_nobody(client, db):
    page = client.get("/d/abcdefghijkl.abcdefghijklmnopqrstuv/")
    assert page.status_code == 404


def test_the_caregivers_link_refuses_an_implausible_volume_and_keeps_what_was_typed(alice_draining, client):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    path = "/" + catheter.issue_link(alice_draining).split("://", 1)[-1].split("/", 1)[1]
    response = client.post(path, {"performed_at": "2026-03-30T10:30", "volume_ml": "8000", "name": "Dora"})
    assert response.status_code == 200
    assert 'value="Dora"' in response.content.decode()
    assert not Procedure.objects.filter(kind=Kind.HOME_DRAINAGE).exists()


def test_home_drainage_sends_nothing_automated_by_default(alice_draining):
    services.place_catheter(alice_draining, placed_on=date(2026, 3, 30), type="tunnelled")
    home_occurrences = Occurrence.objects.filter(patient=alice_draining, kind=Kind.HOME_DRAINAGE)
    assert not Reminder.objects.filter(occurrence__in=home_occurrences).exists()

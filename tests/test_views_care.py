"""Recording care from the patient page: drainages, check-in calls, moving and skipping an
occurrence, the drainage interval. Bad input shows field errors and keeps what was typed."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from followup import scheduling, services
from followup.models import Alert, Kind, Occurrence, Procedure, SymptomReport

# Tuesday 3 March 2026, 15:00 UTC = 10:00 in New York.
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def overdue_alice(frozen, alice):
    """Alice, enrolled three weeks ago: her first drainage was due yesterday."""
    services.enrol(alice, now=NOW - timedelta(days=22))
    return alice


def open_drainage(patient):
    return patient.occurrences.get(kind=Kind.PARACENTESIS, state=Occurrence.State.SCHEDULED)


# --- Drainage ---------------------------------------------------------------------------------------


def test_recording_a_drainage_moves_the_next_date(nurse_client, overdue_alice, nina):
    before = open_drainage(overdue_alice)
    assert before.is_overdue
    response = nurse_client.post(reverse("record_drainage", args=[overdue_alice.pk]), {
        "performed_at": "2026-03-03T09:30", "volume_ml": "4500", "duration_minutes": "40", "complications": "",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("patient", args=[overdue_alice.pk])
    procedure = overdue_alice.procedures.get()
    # Typed in the patient's local time (New York, UTC-5 in March before the change).
    assert procedure.performed_at == datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    assert (procedure.volume_ml, procedure.duration_minutes, procedure.performed_by) == (4500, 40, nina)
    after = open_drainage(overdue_alice)
    assert after.due_date == scheduling.local_date(NOW, overdue_alice.zone) + timedelta(days=21)
    page = nurse_client.get(response["Location"])
    assert b"Drainage recorded. Next drainage due Tue 24 Mar 2026, 09:00." in page.content


def test_double_submitted_drainage_records_one_and_says_so_kindly(nurse_client, overdue_alice):
    data = {"performed_at": "2026-03-03T09:30", "volume_ml": "4500"}
    url = reverse("record_drainage", args=[overdue_alice.pk])
    first = nurse_client.post(url, data)
    second = nurse_client.post(url, data, follow=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert overdue_alice.procedures.count() == 1
    assert b"This drainage was already recorded; nothing was added." in second.content


@pytest.mark.parametrize("field, value, message", [
    ("volume_ml", "-1", "Enter the volume in millilitres as a whole number from 0 to 20000."),
    ("volume_ml", "lots", "Enter the volume in millilitres as a whole number from 0 to 20000."),
    ("performed_at", "2026-03-04T09:30", "A drainage cannot be in the future."),
    ("performed_at", "yesterday", "Enter a valid date/time."),
    ("duration_minutes", "0", "Enter the duration in minutes as a whole number from 1 to 1440."),
])
def test_bad_drainage_input_shows_field_errors_and_keeps_what_was_typed(nurse_client, overdue_alice, field, value, message):
    data = {"performed_at": "2026-03-03T09:30", "volume_ml": "4500", "duration_minutes": "30", "complications": "Mild pain"}
    data[field] = value
    response = nurse_client.post(reverse("record_drainage", args=[overdue_alice.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    content = response.content.decode()
    assert f'value="{value}"' in content
    assert "Mild pain" in content
    assert 'aria-invalid="true"' in content
    assert not Procedure.objects.exists()


def test_drainage_form_as_an_htmx_fragment(nurse_client, overdue_alice):
    url = reverse("record_drainage", args=[overdue_alice.pk])
    bad = nurse_client.post(url, {"performed_at": "2026-03-03T09:30", "volume_ml": "-1"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert bad.content.lstrip().startswith(b'<form id="drainage-form"')
    good = nurse_client.post(url, {"performed_at": "2026-03-03T09:30", "volume_ml": "1000"}, HTTP_HX_REQUEST="true")
    assert good["HX-Redirect"] == reverse("patient", args=[overdue_alice.pk])


def test_drainage_page_works_without_javascript(nurse_client, overdue_alice):
    page = nurse_client.get(reverse("record_drainage", args=[overdue_alice.pk]))
    assert page.status_code == 200
    assert b"<h1>Record a drainage</h1>" in page.content
    assert b'value="2026-03-03T10:00"' in page.content  # now, in New York
    assert b">Record drainage</button>" in page.content


# --- Check-in call --------------------------------------------------------------------------------


def test_logging_a_checkin_call_stores_the_scores_and_closes_the_checkin(nurse_client, overdue_alice, nina):
    checkin = overdue_alice.occurrences.get(kind=Kind.CHECKIN, state=Occurrence.State.SCHEDULED)
    response = nurse_client.post(reverse("log_checkin", args=[overdue_alice.pk]), {
        "outcome": "reached", "pain": "3", "tiredness": "5", "nausea": "", "other_problem": "4", "other_problem_name": "Itching",
        "pps": "50", "phase": "deteriorating", "note": "Spoke with daughter too",
    })
    assert response.status_code == 302
    report = SymptomReport.objects.get(patient=overdue_alice)
    assert (report.pain, report.tiredness, report.nausea, report.other_problem) == (3, 5, None, 4)
    assert (report.source, report.completed_by, report.recorded_by, report.pps) == ("nurse_call", "patient", nina, 50)
    checkin.refresh_from_db()
    assert checkin.state == Occurrence.State.DONE
    overdue_alice.refresh_from_db()
    assert overdue_alice.phase == "deteriorating"


def test_a_severe_score_from_a_call_raises_an_alert(nurse_client, overdue_alice):
    response = nurse_client.post(reverse("log_checkin", args=[overdue_alice.pk]), {"outcome": "reached", "pain": "8"},
                                 follow=True)
    assert Alert.objects.filter(patient=overdue_alice, severe=True, items__item="pain").exists()
    assert b"Alert raised (1 item), acknowledged by this call." in response.content


@pytest.mark.parametrize("data, field, message", [
    ({"outcome": "reached", "pain": "11"}, "pain", "Enter a score as a whole number from 0 to 10."),
    ({"outcome": "reached", "pain": "-1"}, "pain", "Enter a score as a whole number from 0 to 10."),
    ({"outcome": "reached", "pain": "2", "other_problem": "5"}, "other_problem_name", "Name the other problem that was scored."),
    ({"outcome": "reached", "pain": "2", "pps": "55"}, "pps", "Select a valid choice. 55 is not one of the available choices."),
    ({"outcome": "no_answer", "pain": "2"}, "outcome", "Scores can be recorded only when someone answered."),
    ({"outcome": "reached", "pps": "50"}, "note", "Enter the scores they gave, or a note of what was said."),
])
def test_bad_checkin_input_shows_field_errors(nurse_client, overdue_alice, data, field, message):
    response = nurse_client.post(reverse("log_checkin", args=[overdue_alice.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    content = response.content.decode()
    for name, value in data.items():
        if name != "pps":  # a select cannot show a choice it does not offer
            assert f'value="{value}"' in content
    assert not SymptomReport.objects.exists()


def test_a_call_nobody_answered_is_recorded_without_scores(nurse_client, overdue_alice):
    response = nurse_client.post(reverse("log_checkin", args=[overdue_alice.pk]), {"outcome": "no_answer"})
    assert response.status_code == 302
    assert not SymptomReport.objects.exists()
    assert overdue_alice.call_attempts.get().outcome == "no_answer"


# --- Reschedule and skip ------------------------------------------------------------------------------


def test_rescheduling_an_occurrence(nurse_client, overdue_alice):
    occurrence = open_drainage(overdue_alice)
    response = nurse_client.post(reverse("reschedule_occurrence", args=[occurrence.pk]),
                                 {"due_at": "2026-03-05T11:00", "note": "Ambulance booked"})
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.due_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert occurrence.due_date.isoformat() == "2026-03-05"


def test_rescheduling_into_the_past_is_refused(nurse_client, overdue_alice):
    occurrence = open_drainage(overdue_alice)
    response = nurse_client.post(reverse("reschedule_occurrence", args=[occurrence.pk]), {"due_at": "2026-03-01T11:00"})
    assert response.status_code == 200
    assert response.context["form"].errors["due_at"] == ["Choose a time from now on."]
    assert b'value="2026-03-01T11:00"' in response.content


def test_skipping_an_occurrence_plans_the_next(nurse_client, overdue_alice):
    occurrence = open_drainage(overdue_alice)
    response = nurse_client.post(reverse("skip_occurrence", args=[occurrence.pk]),
                                 {"note": "In hospital", "reason": "in_hospital", "look_again_on": "2026-03-10"})
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.state == Occurrence.State.SKIPPED
    assert open_drainage(overdue_alice).due_date > occurrence.due_date


def test_a_closed_occurrence_cannot_be_moved_or_skipped(nurse_client, overdue_alice):
    occurrence = open_drainage(overdue_alice)
    services.skip(occurrence)
    assert nurse_client.post(reverse("skip_occurrence", args=[occurrence.pk])).status_code == 404
    assert nurse_client.get(reverse("reschedule_occurrence", args=[occurrence.pk])).status_code == 404


# --- Interval -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count, unit, message", [
    ("0", "days", "The interval must be at least 2 days."),
    ("1", "days", "The interval must be at least 2 days."),
    ("7", "months", "The interval can be at most 6 months."),
    ("ten", "days", "Enter the interval as a whole number from 0 to 999."),
])
def test_bad_interval_is_refused_on_its_field(nurse_client, overdue_alice, count, unit, message):
    response = nurse_client.post(reverse("change_interval", args=[overdue_alice.pk]), {"count": count, "unit": unit})
    assert response.status_code == 200
    assert response.context["form"].errors["count"] == [message]
    assert f'value="{count}"' in response.content.decode()


def test_interval_form_returns_a_domain_interval():
    from followup.forms import IntervalForm

    form = IntervalForm({"count": "2", "unit": "weeks"})
    assert form.is_valid()
    assert form.cleaned_data["interval"] == scheduling.Interval(2, "weeks")


def test_changing_the_interval(nurse_client, overdue_alice):
    response = nurse_client.post(reverse("change_interval", args=[overdue_alice.pk]),
                                 {"count": "10", "unit": "days", "kind": "paracentesis"})
    assert response.status_code == 302
    schedule = overdue_alice.schedules.get(kind=Kind.PARACENTESIS, active=True)
    assert schedule.interval == scheduling.Interval(10, "days")


def test_accepting_the_suggested_interval(nurse_client, overdue_alice):
    for days_ago in (30, 21, 12):
        services.record_procedure(overdue_alice, performed_at=NOW - timedelta(days=days_ago), volume_ml=4000)
    page = nurse_client.get(reverse("patient", args=[overdue_alice.pk]))
    assert b"Accept suggested interval (9 days)" in page.content
    assert b"Their last intervals: 9, 9 days." in page.content
    response = nurse_client.post(reverse("accept_suggested_interval", args=[overdue_alice.pk]))
    assert response.status_code == 302
    assert overdue_alice.schedules.get(kind=Kind.PARACENTESIS, active=True).interval == scheduling.Interval(9, "days")


def test_accepting_without_a_suggestion_explains_why(nurse_client, overdue_alice):
    response = nurse_client.post(reverse("accept_suggested_interval", args=[overdue_alice.pk]), follow=True)
    assert b"needs at least two drainages" in response.content


def test_nothing_answers_500_on_garbage(nurse_client, overdue_alice):
    occurrence = open_drainage(overdue_alice)
    garbage = {"performed_at": "\x00", "volume_ml": "9" * 40, "pain": "1e400", "due_at": "2026-13-45T99:99",
               "count": "-5", "unit": "fortnights", "kind": "paracentesis"}
    for url in (reverse("record_drainage", args=[overdue_alice.pk]), reverse("log_checkin", args=[overdue_alice.pk]),
                reverse("reschedule_occurrence", args=[occurrence.pk]), reverse("change_interval", args=[overdue_alice.pk])):
        assert nurse_client.post(url, garbage).status_code in (200, 302), url
    assert nurse_client.post(reverse("change_interval", args=[overdue_alice.pk]), {"kind": "nonsense"}).status_code == 404


def test_a_time_that_does_not_exist_in_the_patients_zone_is_refused(nurse_client, overdue_alice):
    # 02:30 on 8 March 2026 is skipped in New York: the clocks go from 02:00 to 03:00.
    occurrence = open_drainage(overdue_alice)
    response = nurse_client.post(reverse("reschedule_occurrence", args=[occurrence.pk]), {"due_at": "2026-03-08T02:30"})
    assert response.status_code == 200
    assert "couldn’t be interpreted in time zone America/New_York" in response.context["form"].errors["due_at"][0]

"""The worklist for calling: one row per patient with everything due for them, most urgent first,
whom to ring, and the flags to know before dialling; filter chips kept in the URL."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from followup import scheduling
from followup.models import Caregiver, CareSchedule, Kind, Occurrence, SymptomReport

from .conftest import make_alert, make_patient, opt_out_number

NEW_YORK = scheduling.ZoneInfo("America/New_York")


def open_item(patient, kind, days_from_today, hour=9):
    schedule, _ = CareSchedule.objects.get_or_create(patient=patient, kind=kind, active=True)
    day = timezone.localdate(timezone=NEW_YORK) + timedelta(days=days_from_today)
    due_at = scheduling.at_local(day, datetime.min.time().replace(hour=hour), patient.zone)
    return Occurrence.objects.create(schedule=schedule, patient=patient, kind=kind, due_at=due_at, due_date=day)


def alert(patient, item="pain", score=8):
    report = SymptomReport.objects.create(patient=patient, completed_by="patient", source="web", **{item: score})
    return make_alert(report, (item, score))


@pytest.fixture
def page(client, nina):
    client.force_login(nina)

    def get(**params):
        response = client.get(reverse("worklist"), params)
        assert response.status_code == 200
        return response

    return get


def names(response):
    return [row.patient.given_name for row in response.context["calls"].rows]


@pytest.fixture
def caseload(riverside, nina, alice, bob):
    """Five patients, one per urgency: Eve next week, Dan today, Carol a call overdue, Bob a drainage
    overdue, Alice a severe symptom report (and a check-in next week)."""
    carol = make_patient(riverside, "RV-1003", "Carol", "Chen", nurse=nina, mobile="+12025550103")
    dan = make_patient(riverside, "RV-1004", "Dan", "D'Souza", nurse=nina, mobile="+12025550104")
    eve = make_patient(riverside, "RV-1005", "Eve", "Núñez", nurse=nina, mobile="+12025550105")
    open_item(eve, Kind.CHECKIN, 3)
    open_item(dan, Kind.PARACENTESIS, 0)
    open_item(carol, Kind.CHECKIN, -2)
    open_item(bob, Kind.PARACENTESIS, -1)
    open_item(alice, Kind.CHECKIN, 5)
    alert(alice)
    return {"alice": alice, "bob": bob, "carol": carol, "dan": dan, "eve": eve}


def test_the_list_is_sorted_by_urgency(page, caseload):
    assert names(page()) == ["Alice", "Bob", "Carol", "Dan", "Eve"]


def test_one_row_per_patient_holds_everything_due_for_them(page, alice):
    open_item(alice, Kind.PARACENTESIS, -3)
    open_item(alice, Kind.CHECKIN, 0)
    rows = page().context["calls"].rows
    assert len(rows) == 1
    assert [(item.kind, item.state) for item in rows[0].due] == [("paracentesis", "overdue"), ("checkin", "today")]
    assert rows[0].urgency_label == "Drainage overdue"


def test_a_filter_chip_narrows_the_list_and_stays_in_the_url(page, caseload):
    response = page(filter="overdue")
    assert names(response) == ["Bob", "Carol"]
    html = response.content.decode()
    assert 'href="?filter=overdue#patients" aria-current="true">Overdue <span class="n">2</span>' in html
    assert names(page(filter="alerts")) == ["Alice"]
    assert names(page(filter="today")) == ["Dan"]


def test_the_counts_link_to_their_filters_and_keep_the_nurse_filter(page, caseload, nina):
    html = page(nurse=nina.pk).content.decode()
    assert f'href="?nurse={nina.pk}&amp;filter=today#patients"' in html
    assert 'All due <span class="n">5</span>' in html


def test_an_unknown_filter_is_404(client, nina):
    client.force_login(nina)
    assert client.get(reverse("worklist"), {"filter": "everyone-ever"}).status_code == 404


def test_each_row_says_whom_to_call_with_a_tel_link_and_the_language(page, bob):
    open_item(bob, Kind.CHECKIN, 0)
    bob.mobile = "+12025550102"
    bob.save()
    row = page().context["calls"].rows[0]
    assert (row.contact.number, row.contact.shown, row.contact.language) == ("+12025550102", "(202) 555-0102", "Español")
    html = page().content.decode()
    assert 'href="tel:+12025550102">(202) 555-0102</a>' in html and "Español" in html


def test_only_a_language_other_than_english_is_named_beside_the_number(page, alice, bob):
    open_item(alice, Kind.CHECKIN, 0)
    open_item(bob, Kind.CHECKIN, 1)
    bob.mobile = "+12025550102"
    bob.save()
    rows = {row.patient: row for row in page().context["calls"].rows}
    assert rows[alice].contact.language_shown == ""  # English: nothing to say before dialling
    assert rows[bob].contact.language_shown == "Español"
    html = page().content.decode()
    assert "· Español" in html and "· English" not in html


def test_a_patient_without_a_phone_is_called_through_their_caregiver(page, riverside, nina):
    jose = make_patient(riverside, "RV-1010", "José", "Núñez", nurse=nina, preferred_channel="none")
    Caregiver.objects.create(patient=jose, name="María Núñez", relationship="wife", mobile="+12025550110", language="es")
    open_item(jose, Kind.CHECKIN, 0)
    row = page().context["calls"].rows[0]
    assert (row.contact.name, row.contact.role, row.contact.number) == ("María Núñez", "wife", "+12025550110")
    assert "caregiver_only" in [flag.key for flag in row.flags]


def test_flags_say_opted_out_no_consent_and_a_phase_needing_care(page, riverside, nina, alice):
    opt_out_number(alice)
    alice.phase = "deteriorating"
    alice.save()
    kim = make_patient(riverside, "RV-1011", "Kim", "O'Neil", nurse=nina, mobile="+12025550111", consent_at=None)
    open_item(alice, Kind.CHECKIN, 0)
    open_item(kim, Kind.CHECKIN, 1)
    flags = {row.patient.given_name: [flag.label for flag in row.flags] for row in page().context["calls"].rows}
    assert flags["Alice"] == ["Number opted out of texts and calls", "Deteriorating"]
    assert flags["Kim"] == ["No consent to texts"]


def test_the_last_esas_r_maximum_shows_on_the_row(page, alice):
    open_item(alice, Kind.CHECKIN, 0)
    SymptomReport.objects.create(patient=alice, completed_by="patient", source="web", pain=3, nausea=6,
                                 reported_at=timezone.now() - timedelta(days=2))
    SymptomReport.objects.create(patient=alice, completed_by="patient", source="web", pain=9,
                                 reported_at=timezone.now() - timedelta(days=9))
    assert page().context["calls"].rows[0].last_esas_max == 6  # the latest report, not the worst ever


def test_acknowledging_a_severe_alert_from_its_row_replaces_the_row(client, nina, alice):
    severe = alert(alice)
    client.force_login(nina)
    response = client.post(reverse("acknowledge_alert", args=[severe.pk]), {"from": "worklist-table", "action": "called_patient"},
                           HTTP_HX_REQUEST="true")
    assert response.content.decode().startswith('<tr class="done-row">')
    assert response["HX-Trigger"] == "worklist-changed"
    severe.refresh_from_db()
    assert severe.acknowledged_by == nina


def test_a_patient_not_reached_is_listed_with_the_overdue_calls_flagged_and_under_its_chip(page, alice, bob):
    alice.not_reached_since = timezone.now() - timedelta(days=1)
    alice.save(update_fields=["not_reached_since"])
    open_item(bob, Kind.CHECKIN, 0)
    response = page()
    first = response.context["calls"].rows[0]
    assert (first.patient, first.urgency_label) == (alice, "Call overdue, missed or not reached")
    assert "not_reached" in [flag.key for flag in first.flags]
    assert b"Not reached since" in response.content and b"Log call" in response.content
    assert names(page(filter="not_reached")) == ["Alice"]


def test_a_missed_check_in_of_this_week_is_an_overdue_call_and_an_older_one_is_not(page, alice, bob):
    missed = open_item(alice, Kind.CHECKIN, -2)
    Occurrence.objects.filter(pk=missed.pk).update(state=Occurrence.State.MISSED, closed_at=timezone.now() - timedelta(days=1))
    long_ago = open_item(bob, Kind.CHECKIN, -12)
    Occurrence.objects.filter(pk=long_ago.pk).update(state=Occurrence.State.MISSED, closed_at=timezone.now() - timedelta(days=10))
    response = page()
    assert names(response) == ["Alice"]
    row = response.context["calls"].rows[0]
    assert [item.state for item in row.due] == ["missed"]
    assert b"Check-in call missed" in response.content


def test_a_call_that_reached_nobody_shows_when_to_try_again(page, alice):
    checkin = open_item(alice, Kind.CHECKIN, 0)
    checkin.retry_at = timezone.now() + timedelta(hours=4)
    checkin.save(update_fields=["retry_at"])
    assert b"no answer, try again" in page().content


def test_an_alert_row_reads_its_items_in_one_line_and_needs_what_was_done(client, page, nina, alice):
    report = SymptomReport.objects.create(patient=alice, completed_by="patient", source="web", pain=8, tiredness=6)
    severe = make_alert(report, ("pain", 8, 3), ("tiredness", 6))
    response = page()
    assert b"Severe symptom: Pain 8, was 3: severe, up 5; Tiredness 6" in response.content
    refused = client.post(reverse("acknowledge_alert", args=[severe.pk]), {"from": "worklist-table"}, HTTP_HX_REQUEST="true")
    assert refused.status_code in (200, 422)
    severe.refresh_from_db()
    assert severe.acknowledged_at is None


# --- Life events on the call list -------------------------------------------------------------------


def test_a_paused_patient_is_under_its_chip_and_joins_the_list_on_the_review_day(client, nina, page, alice, bob):
    from django.utils import formats

    from followup import life_events

    today = timezone.localdate(timezone=NEW_YORK)
    life_events.pause(bob, reason="respite", review_on=today + timedelta(days=4))
    open_item(alice, Kind.CHECKIN, 1)
    assert names(page()) == ["Alice"]
    response = page(filter="paused")
    assert names(response) == ["Bob"]
    assert [flag.label for flag in response.context["calls"].rows[0].flags if flag.key == "paused"] == [
        f"Paused: respite, review {formats.date_format(today + timedelta(days=4), 'MONTH_DAY_FORMAT')}"]
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        client.force_login(nina)
        rows = page().context["calls"].rows
        bobs = next(row for row in rows if row.patient == bob)
        assert [(item.label, item.kind) for item in bobs.due][:1] == [("Resume or extend?", "pause")]
        assert 'href="{}"'.format(reverse("resume_patient", args=[bob.pk])) in page().content.decode()


def test_a_paused_patients_open_items_stay_on_its_row_in_due_order(nina, page, bob):
    from followup import life_events

    open_item(bob, Kind.CHECKIN, -1, hour=14)
    open_item(bob, Kind.PARACENTESIS, -1, hour=9)
    life_events.pause(bob, reason="respite", review_on=timezone.localdate(timezone=NEW_YORK) + timedelta(days=4))

    row = page(filter="paused").context["calls"].rows[0]

    assert [(item.label, item.state) for item in row.due] == [("Drainage", "overdue"), ("Check-in call", "overdue")]


def test_after_an_admission_the_review_asks_back_home(client, nina, page, alice):
    from followup import life_events

    life_events.pause(alice, reason="hospital_admission", review_on=timezone.localdate(timezone=NEW_YORK) + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        client.force_login(nina)
        row = page().context["calls"].rows[0]
    assert row.due[0].label == "Back home?"


def test_a_bereavement_call_due_this_week_is_a_row_with_record_outcome(client, page, riverside, nina):
    from followup import life_events

    jose = make_patient(riverside, "RV-1010", "José", "Núñez", nurse=nina, mobile="+12025550110")
    Caregiver.objects.create(patient=jose, name="María Núñez", relationship="wife", mobile="+12025550111", next_of_kin=True)
    life_events.record_death(jose, died_at=timezone.now() - timedelta(days=20), place="home", source="family")
    call = jose.bereavement_calls.order_by("due_on").first()
    with time_machine.travel(scheduling.at_local(call.due_on, datetime.min.time().replace(hour=10), NEW_YORK), tick=False):
        client.force_login(nina)
        response = page(filter="bereavement")
        rows = response.context["calls"].rows
        assert names(response) == ["José"]
        assert rows[0].due[-1].kind == "bereavement" and rows[0].due[-1].state == "today"
        assert "Bereavement call" in [flag.label for flag in rows[0].flags]
        assert reverse("record_bereavement_call", args=[call.pk]) in response.content.decode()
        assert names(page()) == ["José"]  # due today: on the list itself too
        # The family is rung, never the number of the patient who died.
        assert (rows[0].contact.name, rows[0].contact.number, rows[0].contact.role) == ("María Núñez", "+12025550111", "wife")
        assert "tel:+12025550110" not in response.content.decode()
        assert not {"no_consent", "opted_out"} & {flag.key for flag in rows[0].flags}


def test_a_catheter_at_home_is_flagged(page, alice):
    from followup import catheter

    open_item(alice, Kind.CHECKIN, 0)
    catheter.place_catheter(alice, placed_on=timezone.localdate(timezone=NEW_YORK), type="tunnelled")
    assert "Catheter at home" in [flag.label for flag in page().context["calls"].rows[0].flags]


def test_a_text_from_the_rows_number_that_found_no_patient_is_flagged(page, alice):
    from followup.models import InboundMessage

    open_item(alice, Kind.CHECKIN, 0)
    InboundMessage.objects.create(provider_id="SM-unrouted-1", from_number="+12025550101", to_number="+12025550100",
                                  body="pain 7", routed_by=InboundMessage.RoutedBy.UNROUTED)
    flags = [flag.key for flag in page().context["calls"].rows[0].flags]
    assert "unrouted" in flags


def test_a_number_two_families_share_flags_the_unrouted_text_on_both_rows(page, riverside, nina, alice):
    from followup.models import InboundMessage

    # One landline for two households: Alice's and the O'Brien & Son family's next door.
    bob = make_patient(riverside, "RV-1020", "Bob", "O'Brien", nurse=nina, mobile="+12025550101")
    open_item(alice, Kind.CHECKIN, 0)
    open_item(bob, Kind.CHECKIN, 0)
    InboundMessage.objects.create(provider_id="SM-unrouted-2", from_number="+12025550101", to_number="+12025550100",
                                  body="who is this?", routed_by=InboundMessage.RoutedBy.UNROUTED)
    rows = {row.patient: row for row in page().context["calls"].rows}
    assert "unrouted" in [flag.key for flag in rows[alice].flags]
    assert "unrouted" in [flag.key for flag in rows[bob].flags]


def test_a_report_that_scores_one_item_shows_that_score_and_a_zero_is_a_score(page, alice, bob, riverside, nina):
    carol = make_patient(riverside, "RV-1030", "Carol", "Chen", nurse=nina, mobile="+12025550130")
    for patient in (alice, bob, carol):
        open_item(patient, Kind.CHECKIN, 0)
    SymptomReport.objects.create(patient=alice, completed_by="patient", source="phone", tiredness=4)  # the call dropped after one item
    SymptomReport.objects.create(patient=bob, completed_by="patient", source="web", pain=0, nausea=0)
    SymptomReport.objects.create(patient=carol, completed_by="patient", source="phone", other_problem_name="itch")  # nothing scored

    response = page()

    rows = {row.patient: row for row in response.context["calls"].rows}
    assert (rows[alice].last_esas_max, rows[bob].last_esas_max, rows[carol].last_esas_max) == (4, 0, None)
    html = response.content.decode()
    assert 'class="score score-moderate"' in html and 'class="score score-none"' in html
    assert 'title="No symptom report yet">–' in html  # Carol's: no score to show


def test_names_on_the_call_rows_are_escaped_once(page, riverside, nina):
    jose = make_patient(riverside, "RV-1031", "José", "O'Brien & <Sons>", nurse=nina, preferred_channel="none")
    Caregiver.objects.create(patient=jose, name="Zoë \"Zo\" Núñez & Co", relationship="niece", mobile="+12025550131")
    open_item(jose, Kind.CHECKIN, 0)

    html = page().content.decode()

    assert "O&#x27;Brien &amp; &lt;Sons&gt;, José" in html
    assert "Zoë &quot;Zo&quot; Núñez &amp; Co (niece)" in html
    assert "&amp;amp;" not in html and "<Sons>" not in html


# --- Words and links remembered per process ----------------------------------------------------------


def test_remembered_words_follow_the_language_of_each_page():
    from django.utils import translation

    from followup.languages import gettext

    with translation.override("es"):
        spanish = gettext("Drainage")
    with translation.override("en"):
        english = gettext("Drainage")
    with translation.override("es"):
        assert gettext("Drainage") == spanish != english == "Drainage"


def test_a_remembered_link_is_the_one_reverse_gives_under_any_script_prefix():
    from django.urls import get_script_prefix, set_script_prefix

    from followup.links import link

    before = get_script_prefix()
    try:
        assert link("patient", 7) == reverse("patient", args=[7])
        set_script_prefix("/followup/")
        assert link("patient", 7) == reverse("patient", args=[7])
        assert link("patient", 7).startswith("/followup/")
        assert link("record_drainage", 1234) == reverse("record_drainage", args=[1234])
    finally:
        set_script_prefix(before)

"""A patient who says yes to "Do you need a call from your team today?" gets a call-request alert
whatever the scores: first on the worklist, paged to the on-call contacts out of hours. No, with
nothing severe, marks the alert "patient says it can wait", and triage sorts it lower.

Riverside (New York) works Monday to Friday 09:00-17:00. Alice sends the web form; Walter answers
the keypad survey; Olga is on call; Nina is the nurse.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from followup import services
from followup.messaging import rendering
from followup.models import ESAS_FIELDS, Alert, Reminder, SymptomReport
from followup.symptom_links import issue_link

from . import test_alerts
from . import test_voice_calls as calls
from .conftest import api_client_for, at, make_patient

MONDAY_10 = at("2026-03-02 15:00")  # 10:00 in New York: the team is working
MONDAY_22 = at("2026-03-03 03:00")  # 22:00 in New York: closed

# The voice tests' cast and telephone (tests/test_voice_calls.py).
_twilio, ring_phone, walter, answer_survey = calls._twilio, calls.ring_phone, calls.walter, calls.answer_survey
olga = test_alerts.olga  # the clinic's on-call nurse (tests/test_alerts.py)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MONDAY_10 - timedelta(days=3), tick=False)
    return time_machine


@pytest.fixture
def patient(clock, alice):
    services.enrol(alice)
    return alice


def send_form(patient, moment, clock, needs_call="", **scores):
    """Alice sends the web form at `moment`."""
    clock.move_to(moment, tick=False)
    data = {"completed_by": "patient", "other_problem_name": "", "needs_call_today": needs_call}
    data.update({name: "" for name in ESAS_FIELDS})
    data.update({name: str(value) for name, value in scores.items()})
    response = Client().post(urlsplit(issue_link(patient)).path, data)
    assert response.status_code == 302
    return SymptomReport.objects.filter(patient=patient).latest("reported_at", "pk")


def report(patient, moment, clock, needs_call=None, **scores):
    clock.move_to(moment, tick=False)
    return services.record_symptom_report(patient, scores=scores, completed_by="patient", source="web",
                                          needs_call_today=needs_call)


def call_list(client, nina, **params):
    """The worklist's call list: (the patients' rows in order, the page)."""
    client.force_login(nina)
    response = client.get(reverse("worklist"), params)
    return [row.patient for row in response.context["calls"].rows], response


@pytest.fixture
def cast(riverside, nina):
    """Four patients of Nina's with nothing scheduled (so only their alerts rank them)."""
    return [make_patient(riverside, f"RV-20{n}", given, "Ng", mobile=f"+120255501{20 + n}", nurse=nina)
            for n, given in enumerate(["Asha", "Bea", "Cy", "Di"])]


@pytest.mark.django_db
class TestYes:
    def test_yes_raises_a_call_request_alert_whatever_the_scores(self, patient, clock):
        sent = send_form(patient, MONDAY_10, clock, "yes", pain=1)
        alert = Alert.objects.get(report=sent)
        assert alert.call_requested and not alert.severe and not alert.can_wait
        assert alert.items.count() == 0

    def test_yes_with_no_score_at_all_still_raises_it(self, patient, clock):
        sent = send_form(patient, MONDAY_10, clock, "yes")
        assert Alert.objects.get(report=sent).call_requested

    def test_yes_with_a_severe_score_is_one_alert_both_severe_and_a_call_request(self, patient, clock):
        sent = send_form(patient, MONDAY_10, clock, "yes", pain=8)
        alert = Alert.objects.get()
        assert alert.report == sent and alert.call_requested and alert.severe
        assert [item.summary for item in alert.items.all()] == ["Pain 8: severe"]

    def test_yes_by_keypad_raises_the_call_request_too(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        answer_survey(phone, {"pain": 2})
        phone.key("1")
        alert = Alert.objects.get(patient=walter)
        assert alert.call_requested and alert.report.source == SymptomReport.Source.PHONE

    def test_a_keypad_call_dropped_before_the_question_raises_no_call_request(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.key("1")
        phone.key("2")
        phone.key("1")  # Pain 2 confirmed, then the line drops
        phone.hang_up()
        partial = SymptomReport.objects.get(patient=walter)
        assert partial.partial and partial.needs_call_today is None and not Alert.objects.exists()

    def test_a_call_request_is_first_on_the_worklist_above_an_older_severe_alert(self, clock, cast, client, nina):
        asha, bea, *_ = cast
        severe = report(bea, MONDAY_10, clock, pain=9)
        asked = report(asha, MONDAY_10 + timedelta(minutes=30), clock, needs_call=True, pain=2)
        rows, response = call_list(client, nina)
        assert rows[:2] == [asha, bea]
        first = response.context["calls"].rows[0]
        assert first.urgency_label == "Asked for a call today" and first.alerts == [asked.alert]
        assert "Asked for a call today" in [flag.label for flag in first.flags]
        page = response.content.decode()
        assert "Call requested today" in page and 'chip-call_requested hot' in page
        assert severe.alert.pk in [alert.pk for alert in response.context["calls"].rows[1].alerts]

    def test_the_call_requested_chip_lists_only_those_patients(self, clock, cast, client, nina):
        asha, bea, *_ = cast
        report(asha, MONDAY_10, clock, needs_call=True)
        report(bea, MONDAY_10, clock, pain=9)
        rows, response = call_list(client, nina, filter="call_requested")
        assert rows == [asha] and response.context["calls"].counts["call_requested"] == 1

    def test_the_call_requested_chip_shows_only_while_someone_asked(self, clock, cast, client, nina):
        asha = cast[0]
        report(asha, MONDAY_10, clock, pain=9)
        _, response = call_list(client, nina)
        assert "chip-call_requested" not in response.content.decode()  # keeps the chips on one line
        report(asha, MONDAY_10 + timedelta(hours=1), clock, needs_call=True)
        _, response = call_list(client, nina)
        assert "chip-call_requested hot" in response.content.decode()

    def test_a_call_request_is_acknowledged_from_its_row(self, clock, cast, client, nina):
        asha = cast[0]
        report(asha, MONDAY_10, clock, needs_call=True)
        _, response = call_list(client, nina)
        assert "call request for Asha Ng" in response.content.decode()  # the Acknowledge button's words

    def test_in_working_hours_a_call_request_pages_nobody(self, patient, clock, olga):
        send_form(patient, MONDAY_10, clock, "yes", pain=2)
        assert not Reminder.objects.filter(purpose=Reminder.Purpose.ON_CALL).exists()

    def test_out_of_hours_a_call_request_pages_the_on_call_contacts(self, patient, clock, olga):
        send_form(patient, MONDAY_22, clock, "yes", pain=2)
        pages = Reminder.objects.filter(purpose=Reminder.Purpose.ON_CALL, on_call=olga)
        assert sorted(pages.values_list("channel", flat=True)) == ["email", "sms"]

    def test_out_of_hours_yes_by_keypad_pages_on_call_and_the_caller_hears_it(self, ring_phone, walter, olga):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        answer_survey(phone, {"pain": 2})
        with calls.time_machine.travel(at("2026-12-09 03:00"), tick=False):  # 22:00 in New York
            done = phone.key("1")
        assert "the team on call" in done.words
        assert Reminder.objects.filter(purpose=Reminder.Purpose.ON_CALL, on_call=olga).exists()

    def test_the_page_says_a_patient_asked_for_a_call_and_nothing_about_them(self, patient, clock, olga):
        send_form(patient, MONDAY_22, clock, "yes", pain=2)
        page = Reminder.objects.get(purpose=Reminder.Purpose.ON_CALL, channel="sms")
        text = rendering.render_staff_page(page, "https://followup.example.org/alerts/1/").text
        assert text == "Riverside Palliative Care: a patient asked for a call today, out of hours. Please review it: " \
                       "followup.example.org/alerts/1/"
        email = Reminder.objects.get(purpose=Reminder.Purpose.ON_CALL, channel="email")
        assert rendering.render_staff_page(email, "https://x/").subject == "Riverside Palliative Care: call requested out of hours"

    def test_the_alert_page_says_the_patient_asked_for_a_call(self, patient, clock, client, nina):
        sent = send_form(patient, MONDAY_10, clock, "yes")
        client.force_login(nina)
        page = client.get(reverse("alert", args=[sent.alert.pk])).content.decode()
        assert "<h1>Call requested today</h1>" in page and "(no score flagged)" in page

    def test_acknowledging_a_call_request_cancels_the_pages_not_yet_sent(self, patient, clock, olga, nina):
        sent = send_form(patient, MONDAY_22, clock, "yes")
        from followup import alerts

        alerts.acknowledge(sent.alert, by=nina, action=Alert.Action.CALLED)
        states = set(Reminder.objects.filter(purpose=Reminder.Purpose.ON_CALL).values_list("state", flat=True))
        assert states == {Reminder.State.CANCELLED}


@pytest.mark.django_db
class TestNo:
    def test_no_with_only_moderate_scores_marks_the_alert_patient_says_it_can_wait(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, pain=2)
        sent = send_form(patient, MONDAY_10, clock, "no", pain=6)
        alert = Alert.objects.get(report=sent)
        assert alert.can_wait and not alert.call_requested and not alert.severe

    def test_no_with_a_severe_score_cannot_wait(self, patient, clock):
        sent = send_form(patient, MONDAY_10, clock, "no", pain=8)
        assert not Alert.objects.get(report=sent).can_wait

    def test_no_with_nothing_flagged_raises_no_alert(self, patient, clock):
        send_form(patient, MONDAY_10, clock, "no", pain=2)
        assert not Alert.objects.exists()

    def test_no_answer_leaves_the_alert_as_the_scores_make_it(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, pain=2)
        sent = send_form(patient, MONDAY_10, clock, "", pain=6)
        alert = Alert.objects.get(report=sent)
        assert not alert.can_wait and not alert.call_requested

    def test_triage_sorts_what_can_wait_below_a_newer_alert_that_did_not_say(self, clock, cast, client, nina):
        asha, bea, *_ = cast
        report(asha, MONDAY_10 - timedelta(days=2), clock, pain=2)
        report(bea, MONDAY_10 - timedelta(days=2), clock, nausea=1)
        report(asha, MONDAY_10, clock, needs_call=False, pain=6)
        report(bea, MONDAY_10 + timedelta(hours=1), clock, nausea=5)
        rows, response = call_list(client, nina)
        assert rows == [bea, asha]
        assert "Patient says it can wait" in [flag.label for flag in response.context["calls"].rows[1].flags]

    def test_a_call_request_then_severe_then_the_rest_then_what_can_wait(self, clock, cast, client, nina):
        asha, bea, cy, di = cast
        for patient in cast:
            report(patient, MONDAY_10 - timedelta(days=2), clock, pain=2)
        report(di, MONDAY_10, clock, needs_call=False, pain=6)  # waits
        report(cy, MONDAY_10 + timedelta(minutes=10), clock, pain=6)  # worse, did not say
        report(bea, MONDAY_10 + timedelta(minutes=20), clock, pain=9)  # severe
        report(asha, MONDAY_10 + timedelta(minutes=30), clock, needs_call=True)  # asked, newest
        rows, _ = call_list(client, nina)
        assert rows == [asha, bea, cy, di]

    def test_in_the_alerts_api_order_too_call_requests_come_first(self, clock, cast, nina):
        from followup.alerts import triage_rank

        asha, bea, cy, di = cast
        for patient in cast:
            report(patient, MONDAY_10 - timedelta(days=2), clock, pain=2)
        waits = report(di, MONDAY_10, clock, needs_call=False, pain=6)
        plain = report(cy, MONDAY_10 + timedelta(minutes=10), clock, pain=6)
        severe = report(bea, MONDAY_10 + timedelta(minutes=20), clock, pain=9)
        asked = report(asha, MONDAY_10 + timedelta(minutes=30), clock, needs_call=True)
        ordered = list(Alert.objects.order_by(triage_rank(), "-created_at").values_list("report", flat=True))
        assert ordered == [asked.pk, severe.pk, plain.pk, waits.pk]


@pytest.mark.django_db
def test_the_api_records_the_answer_and_shows_the_call_request_on_the_alert(patient, clock, nina):
    clock.move_to(MONDAY_10, tick=False)
    api = api_client_for(nina)
    created = api.post("/api/v1/symptom-reports/", {"patient": patient.pk, "completed_by": "patient", "source": "web",
                                                    "needs_call_today": True}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["needs_call_today"] is True and created.json()["partial"] is False
    alert = api.get(f"/api/v1/alerts/{created.json()['alert']}/").json()
    assert alert["call_requested"] is True and alert["can_wait"] is False


@pytest.mark.django_db
def test_the_api_still_refuses_a_report_with_no_score_and_no_call_request(patient, clock, nina):
    clock.move_to(MONDAY_10, tick=False)
    refused = api_client_for(nina).post("/api/v1/symptom-reports/", {"patient": patient.pk, "completed_by": "patient",
                                                                      "source": "web"}, format="json")
    assert refused.status_code == 400 and "non_field_errors" in refused.json()

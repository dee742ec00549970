""""Do you need a call from your team today?": it ends the web form and the keypad survey; the answer
is kept on the report and leads see how often each answer came with severe scores."""

from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from followup import call_today, services
from followup.models import ESAS_FIELDS, SymptomReport
from followup.symptom_links import issue_link

from .conftest import PASSWORD, at

NOW = at("2026-03-02 15:00")  # a Monday, 10:00 in New York: the team is working


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def send_form(patient, needs_call="", **scores):
    data = {"completed_by": "patient", "other_problem_name": "", "needs_call_today": needs_call}
    data.update({name: "" for name in ESAS_FIELDS})
    data.update({name: str(value) for name, value in scores.items()})
    return Client().post(urlsplit(issue_link(patient)).path, data)


@pytest.mark.django_db
class TestWebForm:
    def test_the_web_form_ends_with_the_question_in_the_patients_language(self, enrolled_alice, bob):
        english = Client().get(urlsplit(issue_link(enrolled_alice)).path).content.decode()
        spanish = Client().get(urlsplit(issue_link(bob)).path).content.decode()
        assert english.index("Do you need a call from your team today?") > english.index("Worst Possible Wellbeing")
        assert "¿Necesita que su equipo le llame hoy?" in spanish

    @pytest.mark.parametrize(("answer", "kept"), [("yes", True), ("no", False), ("", None)])
    def test_the_answer_is_kept_on_the_report(self, enrolled_alice, answer, kept):
        assert send_form(enrolled_alice, answer, pain=3).status_code == 302
        assert SymptomReport.objects.get(patient=enrolled_alice).needs_call_today is kept

    def test_a_forged_answer_is_refused_with_the_other_answers_kept(self, enrolled_alice):
        response = send_form(enrolled_alice, "tomorrow", pain=3)
        assert response.status_code == 200 and not SymptomReport.objects.exists()
        assert 'value="3" checked' in response.content.decode()


@pytest.mark.django_db
def test_leads_see_how_often_each_answer_came_with_severe_scores(client, enrolled_alice, leo):
    for needs_call, pain in [(True, 8), (True, 2), (False, 9), (False, 3), (False, 1), (None, 7)]:
        services.record_symptom_report(enrolled_alice, scores={"pain": pain}, completed_by="patient", source="web",
                                       needs_call_today=needs_call)
    rows = call_today.answers_with_severe_scores(SymptomReport.objects.all())
    assert rows == [("Yes, a call today", 2, 1, 50.0), ("No, it can wait", 3, 1, 100 / 3), ("Not asked or not answered", 1, 1, 100.0)]
    client.login(username="leo", password=PASSWORD)
    page = client.get("/reports/symptoms/?start=2026-03-01&end=2026-03-31").content.decode()
    assert "answers and severe scores" in page and "Yes, a call today" in page
    export = client.get("/reports/export/call-today.csv?start=2026-03-01&end=2026-03-31")
    assert export.status_code == 200 and b"\"No, it can wait\",3,1,33.3" in b"".join(export.streaming_content)

"""A drainage or a symptom report dated where it cannot have happened is refused, on its field, by the
page, the API and the services alike: before the patient was born, far before their series began
(the clinic's history window, a year by default), or in the future.

Alice (born 12 May 1948) was enrolled on 2 March 2026; today is 20 March 2026.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from followup import services
from followup.models import Procedure, SymptomReport

ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TODAY = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def alice_since_march(alice):
    alice.date_of_birth = date(1948, 5, 12)
    alice.save()
    with time_machine.travel(ENROLLED, tick=False):
        services.enrol(alice)
    return alice


@pytest.fixture(autouse=True)
def today(alice_since_march):
    with time_machine.travel(TODAY, tick=False):
        yield


def refusal(call):
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_a_drainage_typed_with_the_wrong_year_is_refused_on_its_field(alice_since_march):
    errors = refusal(lambda: services.record_procedure(alice_since_march, performed_at=datetime(2019, 1, 1, 15, tzinfo=UTC), volume_ml=2500))
    assert "can be dated back to" in errors["performed_at"][0]
    assert "Check the year" in errors["performed_at"][0]
    assert not Procedure.objects.exists()


def test_a_drainage_from_before_enrolment_within_the_clinics_window_completes_the_history(alice_since_march):
    services.record_procedure(alice_since_march, performed_at=ENROLLED - timedelta(days=300), volume_ml=2500)
    assert Procedure.objects.count() == 1


def test_the_window_is_the_clinics_setting(alice_since_march, riverside):
    riverside.history_window_days = 30
    riverside.save()
    errors = refusal(lambda: services.record_procedure(alice_since_march, performed_at=ENROLLED - timedelta(days=31), volume_ml=2500))
    assert "30 days before the patient's series began" in errors["performed_at"][0]
    services.record_procedure(alice_since_march, performed_at=ENROLLED - timedelta(days=29), volume_ml=2500)


def test_a_drainage_before_the_date_of_birth_is_refused_whatever_the_window(alice_since_march, riverside):
    riverside.history_window_days = 3660
    riverside.save()
    errors = refusal(lambda: services.record_procedure(alice_since_march, performed_at=datetime(1948, 5, 1, 15, tzinfo=UTC), volume_ml=2500))
    assert errors["performed_at"] == ["A drainage must be dated after the patient's date of birth (12 May 1948)."]


def test_a_drainage_in_the_future_is_refused(alice_since_march):
    errors = refusal(lambda: services.record_procedure(alice_since_march, performed_at=TODAY + timedelta(days=1), volume_ml=2500))
    assert "future" in errors["performed_at"][0]


def test_a_back_dated_symptom_report_years_before_enrolment_is_refused(alice_since_march):
    errors = refusal(lambda: services.record_symptom_report(
        alice_since_march, scores={"pain": 4}, completed_by="patient", source="web", reported_at=datetime(2020, 3, 1, tzinfo=UTC)))
    assert "A symptom report can be dated back to" in errors["reported_at"][0]
    assert not SymptomReport.objects.exists()


def test_the_drainage_page_shows_the_refusal_on_the_field_and_keeps_what_was_typed(client, nina, alice_since_march):
    client.force_login(nina)
    response = client.post(f"/patients/{alice_since_march.pk}/drainages/",
                           {"performed_at": "2019-01-01T10:00", "volume_ml": "4500"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Check the year" in page
    assert 'value="2019-01-01T10:00"' in page and 'value="4500"' in page
    assert not Procedure.objects.exists()


def test_the_api_answers_400_with_the_field_message(as_nina, alice_since_march):
    response = as_nina.post("/api/v1/procedures/", {"patient": alice_since_march.pk, "performed_at": "2019-01-01T15:00:00Z", "volume_ml": 2500},
                            format="json")
    assert response.status_code == 400
    assert "Check the year" in response.json()["performed_at"][0]


def test_the_api_refuses_a_report_from_years_before_enrolment(as_nina, alice_since_march):
    response = as_nina.post("/api/v1/symptom-reports/", {
        "patient": alice_since_march.pk, "pain": 3, "completed_by": "patient", "source": "nurse_call",
        "reported_at": "2019-01-01T15:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "A symptom report can be dated back to" in response.json()["reported_at"][0]
    assert not SymptomReport.objects.exists()

"""The symptom form link: short, signed, no PHI, 72 hours long, and good for one report."""

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection

from followup import services, symptom_links
from followup.models import SymptomFormLink, SymptomReport
from followup.symptom_links import LinkClosed, LinkExpired, LinkTampered, LinkUnknown, LinkUsed, issue_link, resolve

from .conftest import at

ISSUED = at("2026-03-02 15:00")


def signed_part(url):
    return urlsplit(url).path.removeprefix("/s/").rstrip("/")


@pytest.fixture
def alice_link(alice):
    return issue_link(alice, now=ISSUED)


def test_link_is_an_absolute_url_on_the_site(alice, settings):
    settings.SITE_URL = "https://followup.example.org"
    url = issue_link(alice, now=ISSUED)
    assert url.startswith("https://followup.example.org/s/")
    assert url.endswith("/")


def test_link_path_fits_in_a_text_message(alice):
    url = issue_link(alice, now=ISSUED)
    assert len(urlsplit(url).path) <= 45


def test_link_carries_no_patient_details(alice):
    url = issue_link(alice, now=ISSUED)
    for detail in (alice.mrn, alice.given_name, alice.family_name, "2025550101", alice.clinic.name):
        assert detail.lower() not in url.lower()
    token, signature = signed_part(url).split(".")
    assert (len(token), len(signature)) == (12, 22)


def test_link_row_expires_72_hours_after_issue(alice, alice_link):
    link = SymptomFormLink.objects.get(patient=alice)
    assert link.created_at == ISSUED
    assert link.expires_at == ISSUED + timedelta(hours=72)
    assert link.used_at is None


def test_each_link_has_its_own_token(alice):
    urls = {issue_link(alice, now=ISSUED) for _ in range(20)}
    assert len(urls) == 20
    assert SymptomFormLink.objects.filter(patient=alice).count() == 20


def test_fresh_link_resolves_to_its_row(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED + timedelta(hours=1))
    assert link.patient == alice


def test_link_still_works_just_before_72_hours(alice, alice_link):
    assert resolve(signed_part(alice_link), now=ISSUED + timedelta(hours=72) - timedelta(seconds=1)).patient == alice


def test_link_expires_at_72_hours(alice_link):
    with pytest.raises(LinkExpired) as refused:
        resolve(signed_part(alice_link), now=ISSUED + timedelta(hours=72))
    assert refused.value.link is not None


@pytest.mark.parametrize("damage", [
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # signature changed
    lambda s: ("A" if s[0] != "A" else "B") + s[1:],  # token changed
    lambda s: s[:-5],  # cut short by a phone's line wrap
    lambda s: s.split(".")[0],  # signature lost
    lambda s: "",
])
def test_changed_link_is_tampered_and_names_nobody(alice_link, damage):
    with pytest.raises(LinkTampered) as refused:
        resolve(damage(signed_part(alice_link)), now=ISSUED)
    assert refused.value.link is None


def test_link_signed_with_another_key_is_tampered(alice, alice_link, settings):
    settings.SECRET_KEY = "another-installation-secret-key-0123456789abcdef"
    with pytest.raises(LinkTampered):
        resolve(signed_part(alice_link), now=ISSUED)


def test_link_survives_a_secret_key_rotation(alice, alice_link, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-after-rotation-0123456789abcdef"
    assert resolve(signed_part(alice_link), now=ISSUED).patient == alice


def test_signed_token_without_a_row_is_unknown(db):
    with pytest.raises(LinkUnknown) as refused:
        resolve(symptom_links.sign("NoSuchToken1"), now=ISSUED)
    assert refused.value.link is None


def test_signature_from_another_purpose_does_not_open_the_form(alice, alice_link):
    token = SymptomFormLink.objects.get(patient=alice).token
    other_purpose = signing.Signer(salt="something-else", sep=".").sign(token)
    with pytest.raises(LinkTampered):
        resolve(other_purpose, now=ISSUED)


def test_used_link_is_refused(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED)
    symptom_links.submit_report(link, scores={"pain": 2}, completed_by="patient", now=ISSUED)
    with pytest.raises(LinkUsed) as refused:
        resolve(signed_part(alice_link), now=ISSUED + timedelta(minutes=1))
    assert refused.value.link.pk == link.pk


def test_used_and_expired_link_says_used(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED)
    symptom_links.submit_report(link, scores={"pain": 2}, completed_by="patient", now=ISSUED)
    with pytest.raises(LinkUsed):
        resolve(signed_part(alice_link), now=ISSUED + timedelta(days=5))


@pytest.mark.parametrize("status", ["deceased", "discharged"])
def test_link_of_a_patient_no_longer_in_care_is_closed(alice, alice_link, status):
    services.change_status(alice, status, at=ISSUED)
    with pytest.raises(LinkClosed):
        resolve(signed_part(alice_link), now=ISSUED + timedelta(hours=1))


def test_link_of_a_paused_patient_still_works(alice, alice_link):
    services.change_status(alice, "paused", at=ISSUED)
    assert resolve(signed_part(alice_link), now=ISSUED + timedelta(hours=1)).patient == alice


def test_submitting_records_a_web_report_and_marks_the_link_used(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED)
    report = symptom_links.submit_report(
        link, scores={"pain": 3, "nausea": 0}, completed_by="caregiver", other_problem_name="", now=ISSUED)
    link.refresh_from_db()
    assert link.used_at == ISSUED
    assert link.report == report
    assert (report.source, report.completed_by, report.pain, report.nausea, report.tiredness) == ("web", "caregiver", 3, 0, None)


def test_second_submit_with_the_same_link_records_nothing(alice, alice_link):
    first = resolve(signed_part(alice_link), now=ISSUED)
    second = SymptomFormLink.objects.get(pk=first.pk)  # a second request that resolved before the first finished
    symptom_links.submit_report(first, scores={"pain": 3}, completed_by="patient", now=ISSUED)
    with pytest.raises(LinkUsed):
        symptom_links.submit_report(second, scores={"pain": 8}, completed_by="patient", now=ISSUED)
    assert SymptomReport.objects.filter(patient=alice).count() == 1
    assert SymptomReport.objects.get(patient=alice).pain == 3


def test_submit_after_expiry_records_nothing(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED)
    with pytest.raises(LinkExpired):
        symptom_links.submit_report(link, scores={"pain": 3}, completed_by="patient", now=ISSUED + timedelta(hours=73))
    assert not SymptomReport.objects.exists()


def test_report_the_model_refuses_leaves_the_link_usable(alice, alice_link):
    link = resolve(signed_part(alice_link), now=ISSUED)
    with pytest.raises(ValidationError):  # an "other problem" scored but not named
        symptom_links.submit_report(link, scores={"other_problem": 5}, completed_by="patient", now=ISSUED)
    link.refresh_from_db()
    assert link.used_at is None
    assert resolve(signed_part(alice_link), now=ISSUED).pk == link.pk


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_record_one_report(riverside, nina):
    from .conftest import make_patient

    patient = make_patient(riverside, "RV-1900", "Alice", "Archer", mobile="+12025550101", nurse=nina)
    signed = signed_part(issue_link(patient))
    link_id = resolve(signed).pk
    start = threading.Barrier(2)
    outcomes = []

    def submit(pain):
        try:
            link = SymptomFormLink.objects.select_related("patient").get(pk=link_id)
            start.wait()
            symptom_links.submit_report(link, scores={"pain": pain}, completed_by="patient")
            outcomes.append("recorded")
        except LinkUsed:
            outcomes.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(pain,)) for pain in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["recorded", "used"]
    assert SymptomReport.objects.filter(patient=patient).count() == 1

"""The other work beside the call list: its first rows on the worklist, every row on the section's own
page, a page at a time, narrowed like the worklist and never wider than the user's clinics."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup import worklist
from followup.models import Catheter, Procedure, Reminder

from .conftest import make_patient
from .test_worklist import open_drainage

# Active patients with nothing scheduled: "No upcoming contact". Real names, not tidy ones.
NAMES = [("Seán", "O'Brien"), ("Zoë", "Núñez"), ("Ana", "García & Hijos"), ("Émile", "Lefèvre"), ("Mei", "Chen"),
         ("Kofi", "Mensah"), ("Ines", "Ødegaard")]


@pytest.fixture
def unplanned(riverside, nina):
    return [make_patient(riverside, f"RV-3{index:03d}", given, family, mobile=f"+120255502{index:02d}", nurse=nina)
            for index, (given, family) in enumerate(NAMES)]


def rows_of(response):
    return response.content.decode().count('<li class="row">')


def test_the_worklist_shows_the_first_rows_of_a_section_and_links_to_all_of_them(nurse_client, unplanned):
    response = nurse_client.get(reverse("worklist"))

    section = response.context["work"].no_upcoming_contact
    assert (section.count, len(section.rows)) == (7, worklist.PREVIEW_ROWS)
    page = response.content.decode().split('id="uncovered"')[1].split("</section>")[0]
    assert f'href="{reverse("worklist_section", args=["uncovered"])}?"' in page
    assert "and 2 more: see the whole list" in page


def test_a_section_page_lists_every_row_with_names_as_written(nurse_client, unplanned):
    response = nurse_client.get(reverse("worklist_section", args=["uncovered"]))

    assert response.status_code == 200
    assert rows_of(response) == 7
    content = response.content.decode()
    assert "O&#x27;Brien" in content and "García &amp; Hijos" in content and "Ødegaard" in content
    assert "<h1>No upcoming contact" in content


def test_a_section_page_goes_a_page_at_a_time(nurse_client, unplanned, monkeypatch):
    monkeypatch.setattr(worklist, "SECTION_PAGE_ROWS", 3)
    url = reverse("worklist_section", args=["uncovered"])

    first, last = nurse_client.get(url), nurse_client.get(url + "?page=3")

    assert rows_of(first) == 3 and "Page 1 of 3" in first.content.decode() and 'rel="next"' in first.content.decode()
    assert rows_of(last) == 1 and 'rel="prev"' in last.content.decode() and 'rel="next"' not in last.content.decode()
    assert rows_of(nurse_client.get(url + "?page=99")) == 1  # past the end: the last page
    assert rows_of(nurse_client.get(url + "?page=two")) == 3  # not a number: the first


def test_a_section_page_is_narrowed_like_the_worklist_and_never_wider_than_the_users_clinics(
        nurse_client, unplanned, riverside, leo, carmen, noah, hillcrest):
    url = reverse("worklist_section", args=["uncovered"])
    make_patient(riverside, "RV-3999", "Lena", "Leo's patient", nurse=leo)

    everyone = nurse_client.get(url).content.decode()
    assert "Cruz" not in everyone  # another clinic's patient, nothing scheduled either
    assert "Leo&#x27;s patient" in everyone
    mine = nurse_client.get(url, {"nurse": unplanned[0].nurse_id}).content.decode()
    assert "Leo&#x27;s patient" not in mine and "O&#x27;Brien" in mine
    assert nurse_client.get(url, {"clinic": hillcrest.pk}).status_code == 404
    assert nurse_client.get(url, {"nurse": noah.pk}).status_code == 404


def test_an_unknown_section_is_a_404_and_a_section_needs_signing_in(client, nurse_client, unplanned):
    assert nurse_client.get(reverse("worklist_section", args=["everything"])).status_code == 404
    client.logout()
    response = client.get(reverse("worklist_section", args=["uncovered"]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_delivery_problem_is_acknowledged_from_its_section_page_and_the_nurse_comes_back_to_it(nurse_client, alice):
    occurrence = open_drainage(alice, timezone.localdate() + timedelta(days=2))
    now = timezone.now()
    failed = Reminder.objects.create(occurrence=occurrence, patient=alice, recipient="patient", channel="sms", purpose="day_before",
                                     due_at=occurrence.due_at, send_at=now, expires_at=now, state=Reminder.State.FAILED,
                                     reason="Unreachable")
    url = reverse("worklist_section", args=["delivery"])
    assert rows_of(nurse_client.get(url)) == 1

    response = nurse_client.post(reverse("acknowledge_reminder", args=[failed.pk]), {"next": url})

    assert response.status_code == 302 and response["Location"] == url
    failed.refresh_from_db()
    assert failed.acknowledged_at is not None
    assert "Every reminder went out." in nurse_client.get(url).content.decode()


def test_the_catheter_section_page_gives_each_patients_reason(nurse_client, alice):
    now = timezone.now()
    for days in (0, 10, 20):
        Procedure.objects.create(patient=alice, performed_at=now - timedelta(days=days), volume_ml=5000)

    content = nurse_client.get(reverse("worklist_section", args=["catheter"])).content.decode()

    assert "Archer" in content and "Median interval 10 days" in content


def test_the_catheter_section_lists_the_flagged_patients_in_enrolment_order_a_page_at_a_time(nurse_client, riverside, nina,
                                                                                              monkeypatch):
    monkeypatch.setattr(worklist, "SECTION_PAGE_ROWS", 2)
    now = timezone.now()
    patients = [make_patient(riverside, f"RV-4{index:03d}", given, family, mobile=f"+120255504{index:02d}", nurse=nina)
                for index, (given, family) in enumerate(NAMES[:5])]
    for patient in patients:
        for days in (0, 10, 20):
            Procedure.objects.create(patient=patient, performed_at=now - timedelta(days=days), volume_ml=5000)
    Catheter.objects.create(patient=patients[1], placed_on=timezone.localdate(), type=Catheter.Type.values[0])  # no advisory
    url = reverse("worklist_section", args=["catheter"])

    pages = [nurse_client.get(url, {"page": number}).content.decode() for number in (1, 2)]

    assert nurse_client.get(reverse("worklist")).context["work"].catheter_advisories.count == 4
    assert "Page 1 of 2" in pages[0] and "O&#x27;Brien" in pages[0] and "García &amp; Hijos" in pages[0]
    assert "Lefèvre" in pages[1] and "Chen" in pages[1] and "Núñez" not in pages[0] + pages[1]

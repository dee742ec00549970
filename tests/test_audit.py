"""The audit log: every view and change of a patient's record, API request, export, sign-in and
sign-out is one row (who, when, what, from where) that cannot be changed; clinical leads browse and
export their clinics' rows; old rows go only after six years."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from followup import audit, services
from followup.models import AccessLog
from followup.models.audit import AppendOnlyError

from .conftest import PASSWORD

View, Change = AccessLog.Action.VIEW, AccessLog.Action.CHANGE


def rows(**filters):
    """The entries in order, without the sign-ins that `force_login` itself records."""
    entries = AccessLog.objects.filter(**filters)
    if "action" not in filters:
        entries = entries.exclude(action=AccessLog.Action.SIGN_IN)
    return list(entries.order_by("id"))


def only_row(**filters):
    found = rows(**filters)
    assert len(found) == 1, found
    return found[0]


# --- What is recorded -----------------------------------------------------------------------------


def test_viewing_a_patient_page_is_recorded(client, nina, enrolled_alice):
    client.force_login(nina)
    client.get(reverse("patient", args=[enrolled_alice.pk]))
    row = only_row(action=View)
    assert (row.user_id, row.username, row.patient_id, row.clinic_id) == (nina.pk, "nina", enrolled_alice.pk, enrolled_alice.clinic_id)
    assert (row.what, row.method, row.path, row.ip) == ("patient page", "GET", f"/patients/{enrolled_alice.pk}/", "127.0.0.1")
    assert abs(row.at - timezone.now()) < timedelta(seconds=30)


def test_a_form_fragment_is_a_view_and_its_post_a_change(client, nina, enrolled_alice):
    client.force_login(nina)
    url = reverse("record_drainage", args=[enrolled_alice.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    client.post(url, {"performed_at": timezone.localtime(timezone.now(), enrolled_alice.zone).strftime("%Y-%m-%dT%H:%M"),
                      "volume_ml": "3000"})
    assert enrolled_alice.procedures.count() == 1
    assert [(row.action, row.what, row.method, row.patient_id) for row in rows()] == [
        (View, "drainage", "GET", enrolled_alice.pk), (Change, "drainage", "POST", enrolled_alice.pk)]


def test_changes_through_objects_of_a_patient_name_the_patient(client, nina, enrolled_alice, dora):
    client.force_login(nina)
    occurrence = enrolled_alice.occurrences.filter(state="scheduled").first()
    client.post(reverse("skip_occurrence", args=[occurrence.pk]), {"note": "in hospital"})
    client.get(reverse("edit_caregiver", args=[dora.pk]))
    assert [(row.action, row.what, row.patient_id, row.clinic_id) for row in rows()] == [
        (Change, "skip occurrence", enrolled_alice.pk, enrolled_alice.clinic_id),
        (View, "caregiver", enrolled_alice.pk, enrolled_alice.clinic_id)]


def test_another_clinics_patient_is_not_shown_and_not_logged_as_seen(client, noah, alice):
    client.force_login(noah)
    assert client.get(reverse("patient", args=[alice.pk])).status_code == 404
    assert rows(action=View) == []


def test_recording_is_one_insert(nina, alice, riverside, django_assert_num_queries):
    request = RequestFactory().get("/patients/1/", REMOTE_ADDR="192.0.2.10")
    request.user = nina
    with django_assert_num_queries(1):
        audit.record_access(request, alice, "patient page")
    services.enrol(alice)
    reminder_patient_only = alice.occurrences.first()
    reminder_patient_only = type(reminder_patient_only).objects.get(pk=reminder_patient_only.pk)  # patient not loaded
    with django_assert_num_queries(1):
        audit.record_access(request, reminder_patient_only, "move occurrence")
    # The clinic came from the patient inside the INSERT.
    assert [row.clinic_id for row in rows()] == [riverside.pk, riverside.pk]


def test_api_reads_and_writes_are_recorded(client, nina, enrolled_alice):
    client.force_login(nina)
    client.get(reverse("api-patient-list"))
    client.get(reverse("api-patient-detail", args=[enrolled_alice.pk]))
    created = client.post(reverse("api-procedure-list"), {
        "patient": enrolled_alice.pk, "kind": "paracentesis", "performed_at": timezone.now().isoformat(), "volume_ml": 2500,
    }, content_type="application/json")
    assert created.status_code == 201, created.content
    occurrence = enrolled_alice.occurrences.filter(state="scheduled", kind="checkin").first()
    client.post(reverse("api-occurrence-skip", args=[occurrence.pk]), {"note": ""}, content_type="application/json")
    assert [(row.action, row.what, row.patient_id) for row in rows()] == [
        (View, "API list patient", None),
        (View, "API retrieve patient", enrolled_alice.pk),
        (Change, "API create procedure", enrolled_alice.pk),
        (Change, "API skip appointment", enrolled_alice.pk),
    ]
    assert {row.clinic_id for row in rows() if row.patient_id} == {enrolled_alice.clinic_id}


def test_a_refused_api_request_records_nothing(client, noah, alice):
    client.force_login(noah)
    assert client.get(reverse("api-patient-detail", args=[alice.pk])).status_code == 404
    assert rows() == []


def test_report_exports_are_recorded_for_each_clinic(client, leo, riverside, hillcrest):
    from followup.models import Membership

    Membership.objects.create(user=leo, clinic=hillcrest, role=Membership.Role.LEAD)
    client.force_login(leo)
    response = client.get(reverse("reports:export", args=["drainage-log"]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    exports = rows(action=AccessLog.Action.EXPORT)
    assert [(row.what, row.clinic_id) for row in exports] == [
        ("report export: drainage-log", clinic.pk) for clinic in sorted([riverside, hillcrest], key=lambda c: c.pk)]


def test_sign_in_failed_sign_in_and_sign_out_are_recorded(client, nina, settings):
    settings.AXES_ENABLED = True
    client.post(reverse("login"), {"username": "nina", "password": "not-it"})
    client.post(reverse("login"), {"username": "nina", "password": PASSWORD})
    client.post(reverse("logout"))
    assert [(row.action, row.username, row.user_id, row.ip) for row in AccessLog.objects.order_by("id")] == [
        (AccessLog.Action.SIGN_IN_FAILED, "nina", None, "127.0.0.1"),
        (AccessLog.Action.SIGN_IN, "nina", nina.pk, "127.0.0.1"),
        (AccessLog.Action.SIGN_OUT, "nina", nina.pk, "127.0.0.1"),
    ]


def test_the_address_is_remote_addr_unless_a_trusted_proxy_is_in_front(client, nina, alice, settings):
    client.force_login(nina)
    url = reverse("patient", args=[alice.pk])
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    settings.TRUSTED_PROXY = True
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.5")
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>, 1")
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="2001:db8::1")
    assert [row.ip for row in rows()] == ["10.0.0.5", "203.0.113.9", "10.0.0.5", "2001:db8::1"]


# --- Append-only and retention --------------------------------------------------------------------


def test_a_row_cannot_be_changed_or_deleted_through_the_model(nina):
    row = AccessLog.objects.create(username="nina", action=View, what="patient page")
    row.what = "something else"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_a_young_row(db):
    row = AccessLog.objects.create(username="nina", action=View, what="patient page")
    for statement in ("UPDATE followup_accesslog SET what = 'x' WHERE id = %s", "DELETE FROM followup_accesslog WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])
    assert AccessLog.objects.get(pk=row.pk).what == "patient page"


def test_prune_deletes_only_rows_older_than_the_retention(db, settings):
    now = timezone.now()
    old = AccessLog.objects.create(username="nina", action=View, what="patient page", at=now - timedelta(days=2200))
    kept = AccessLog.objects.create(username="nina", action=View, what="patient page", at=now - timedelta(days=2180))
    out = io.StringIO()
    call_command("prune_access_log", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 audit log entries are older than")
    assert AccessLog.objects.count() == 2
    out = io.StringIO()
    call_command("prune_access_log", stdout=out)
    assert out.getvalue().startswith("Deleted 1 audit log entries")
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AccessLog.objects.filter(pk=old.pk).exists()


def test_a_longer_retention_keeps_more(db, settings):
    settings.AUDIT_RETENTION_DAYS = 3000
    AccessLog.objects.create(username="nina", action=View, what="patient page", at=timezone.now() - timedelta(days=2500))
    call_command("prune_access_log", stdout=io.StringIO())
    assert AccessLog.objects.count() == 1


# --- The clinical lead's audit page ---------------------------------------------------------------


@pytest.fixture
def history(nina, leo, noah, alice, bob, carmen):
    """Two days of entries in both clinics."""
    def add(at, user, action, what, patient=None, clinic=None):
        AccessLog.objects.create(at=at, user=user, username=user.username if user else "ghost", action=action, what=what,
                                 patient=patient, clinic=clinic or (patient.clinic if patient else None), ip="192.0.2.1")
    day1, day2 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC), datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    add(day1, nina, AccessLog.Action.SIGN_IN, "sign-in")
    add(day1, nina, View, "patient page", alice)
    add(day1, nina, Change, "drainage", alice)
    add(day2, leo, View, "patient page", bob)
    add(day2, None, AccessLog.Action.SIGN_IN_FAILED, "sign-in failed")
    add(day2, noah, View, "patient page", carmen)
    add(day2, noah, AccessLog.Action.SIGN_IN, "sign-in")


def listed(page):
    """The entries shown, without the lead's own sign-in (recorded by `force_login`)."""
    return [(entry.username, entry.what) for entry in page.context["page"] if entry.at.year == 2026 and entry.at.month == 3]


def test_a_lead_sees_the_entries_of_their_clinic_and_its_staff(client, leo, history):
    client.force_login(leo)
    page = client.get(reverse("audit"))
    assert page.status_code == 200
    assert sorted(listed(page)) == sorted([("leo", "patient page"), ("nina", "sign-in"), ("nina", "patient page"),
                                           ("nina", "drainage")])
    content = page.content.decode()
    assert "Carmen" not in content and "noah" not in content


def test_a_nurse_cannot_open_the_audit_log(client, nina, history):
    client.force_login(nina)
    assert client.get(reverse("audit")).status_code == 403
    assert client.get(reverse("audit_export")).status_code == 403


@pytest.mark.parametrize("query, expected", [
    ({"mrn": "RV-1001"}, [("nina", "drainage"), ("nina", "patient page")]),
    ({"mrn": "HC-2001"}, []),
    ({"user": "leo"}, [("leo", "patient page")]),
    ({"action": "change"}, [("nina", "drainage")]),
    ({"start": "2026-03-03"}, [("leo", "patient page")]),
    ({"end": "2026-03-02", "action": "sign_in"}, [("nina", "sign-in")]),
])
def test_the_audit_log_filters(client, leo, history, query, expected):
    client.force_login(leo)
    assert sorted(listed(client.get(reverse("audit"), query))) == sorted(expected)


def test_a_bad_filter_says_what_is_wrong(client, leo, history):
    client.force_login(leo)
    page = client.get(reverse("audit"), {"start": "2026-03-05", "end": "2026-03-01", "action": "<script>"})
    assert page.status_code == 400
    assert b"The end date is before the start date." in page.content
    assert b"Select a valid choice." in page.content
    assert b"<script>" not in page.content


def test_the_audit_log_is_paginated(client, leo, riverside):
    AccessLog.objects.bulk_create([AccessLog(username="leo", clinic=riverside, action=View, what=f"page {n}") for n in range(60)])
    client.force_login(leo)
    first = client.get(reverse("audit"), {"action": "view"})
    assert len(first.context["page"]) == 50
    assert b"Page 1 of 2 (60 entries)" in first.content
    assert b'href="?action=view&amp;page=2"' in first.content
    assert len(client.get(reverse("audit"), {"action": "view", "page": "2"}).context["page"]) == 10


def test_the_export_is_a_streamed_csv_of_the_filtered_entries(client, leo, alice, history):
    AccessLog.objects.create(username="=cmd|' /C calc'!A0", clinic=alice.clinic, patient=alice, action=View, what="patient page")
    client.force_login(leo)
    response = client.get(reverse("audit_export"), {"mrn": "RV-1001"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == ["time (UTC)", "username", "action", "what", "patient MRN", "patient id", "clinic", "method", "path", "address"]
    assert [(line[1], line[2], line[3], line[4]) for line in table[1:]] == [
        ("'=cmd|' /C calc'!A0", "Viewed", "patient page", "RV-1001"),
        ("nina", "Changed", "drainage", "RV-1001"),
        ("nina", "Viewed", "patient page", "RV-1001"),
    ]
    assert table[2][0] == "2026-03-02T15:00:00+00:00"
    # The export is itself in the log.
    assert only_row(action=AccessLog.Action.EXPORT).what == "audit log export"


def test_an_export_with_a_bad_filter_is_a_400(client, leo, history):
    client.force_login(leo)
    response = client.get(reverse("audit_export"), {"start": "yesterday"})
    assert response.status_code == 400
    assert "From: Enter a date" in response.content.decode()


@pytest.mark.parametrize("who, sees_link", [("nina", False), ("leo", True)])
def test_the_audit_link_is_only_for_leads(client, request, who, sees_link):
    client.force_login(request.getfixturevalue(who))
    assert (f'href="{reverse("audit")}"' in client.get(reverse("worklist")).content.decode()) is sees_link

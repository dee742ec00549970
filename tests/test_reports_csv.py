"""Every table exports to CSV with the page's columns and numbers, streamed. The page writes dates
in the locale's format and a percentage with its n; the CSV holds the same values for machines: ISO
dates and bare numbers."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.http import StreamingHttpResponse

from followup.models import CareSchedule, Kind, Occurrence, Procedure, Reminder, SymptomReport

from .conftest import at, make_alert, make_patient

RANGE = {"start": "2026-02-01", "end": "2026-03-31"}
TABLES = [
    ("/reports/frequency/", "drainages", {"period": "week"}),
    ("/reports/frequency/", "drainages", {"period": "month"}),
    ("/reports/frequency/", "checkins", {"period": "week"}),
    ("/reports/frequency/", "by-clinic", {}),
    ("/reports/patients/", "patients", {}),
    ("/reports/patients/", "patients", {"sort": "-median"}),
    ("/reports/drainages/", "drainage-log", {}),
    ("/reports/reminders/", "reminders", {"period": "week"}),
    ("/reports/reminders/", "skipped", {}),
    ("/reports/reminders/", "confirmations", {"period": "month"}),
    ("/reports/reminders/", "opt-outs", {}),
    ("/reports/symptoms/", "severe", {}),
    ("/reports/symptoms/", "severe-items", {}),
    ("/reports/symptoms/", "acknowledgement", {}),
]


class TableText(HTMLParser):
    """The text of each cell of <table id=...>, row by row (an em dash stands for a blank)."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("th", "td"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("th", "td"):
            text = " ".join(self.cell.split()).replace(" ▲", "").replace(" ▼", "")
            self.rows[-1].append("" if text == "—" else text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_table(body, key):
    parser = TableText(f"table-{key}")
    parser.feed(body)
    return parser.rows


def csv_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def everything(riverside, alice, bob, dora):
    """A little of every kind of figure, in February and March 2026."""
    for day, volume in [("2026-01-20", 5000), ("2026-02-03", 4500), ("2026-02-17", None), ("2026-03-02", 4000), ("2026-03-09", 3500)]:
        Procedure.objects.create(patient=alice, performed_at=at(f"{day} 15:00"), volume_ml=volume)
    for day in ["2026-02-10", "2026-03-12"]:
        Procedure.objects.create(patient=bob, performed_at=at(f"{day} 15:00"), volume_ml=2250)
    schedule = CareSchedule.objects.create(patient=alice, kind=Kind.CHECKIN, cadence_by_phase=True)
    for day, state in [("2026-02-04", "done"), ("2026-02-11", "missed"), ("2026-02-18", "done"), ("2026-03-04", "skipped")]:
        occurrence = Occurrence.objects.create(schedule=schedule, patient=alice, kind=Kind.CHECKIN, due_at=at(f"{day} 14:00"),
                                               due_date=date.fromisoformat(day), state=state)
    for hour, state in enumerate(["delivered", "sent", "failed", "skipped", "planned"]):
        send = at(f"2026-03-0{hour + 2} 14:00")
        Reminder.objects.create(occurrence=occurrence, patient=alice, recipient="patient", channel="sms", purpose="day_before",
                                due_at=send + timedelta(days=1), send_at=send, expires_at=send + timedelta(hours=3), state=state,
                                reason="Text cap: at most 1 automated text a day." if state == "skipped" else "",
                                sent_at=send if state in ("delivered", "sent", "failed") else None,
                                confirmed_at=send if state == "delivered" else None)
    dora.opt_out("SMS STOP", at=at("2026-03-05 12:00"))
    dora.save()
    for day, pain in [("2026-02-05", 8), ("2026-02-12", 3), ("2026-03-05", 7)]:
        report = SymptomReport.objects.create(patient=alice, reported_at=at(f"{day} 15:00"), completed_by="patient",
                                              source="web", pain=pain, tiredness=4)
        if pain >= 7:
            make_alert(report, ("pain", pain), created_at=report.reported_at,
                       acknowledged_at=report.reported_at + timedelta(minutes=90))


def as_machines_read_it(cell):
    """A page cell as the CSV writes it: "9 Mar 2026" is 2026-03-09, "Feb 2026" 2026-02, "25.0 (n=4)" 25.0."""
    for shown, written in (("%d %b %Y", "%Y-%m-%d"), ("%b %Y", "%Y-%m")):
        try:
            return datetime.strptime(cell, shown).strftime(written)
        except ValueError:
            pass
    return re.sub(r" \(n=\d+\)$", "", cell)


@time_machine.travel(at("2026-04-02 12:00"), tick=False)
@pytest.mark.parametrize("page, key, extra", TABLES)
def test_csv_export_has_the_pages_columns_and_numbers(client, leo, everything, page, key, extra):
    client.force_login(leo)
    query = {**RANGE, **extra}
    shown = [[as_machines_read_it(cell) for cell in row] for row in page_table(client.get(page, query).content.decode(), key)]
    response = client.get(f"/reports/export/{key}.csv", query)
    exported = csv_rows(response)
    assert len(shown) > 1, "the page shows this table with rows"
    assert exported == shown
    assert response["Content-Disposition"] == f'attachment; filename="{key}_2026-02-01_2026-03-31.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_export_of_the_patient_table_has_every_row_not_just_the_first_page(client, leo, riverside, monkeypatch):
    from followup.reports import tables

    monkeypatch.setattr(tables, "PAGE_SIZE", 2)
    for number in range(5):
        patient = make_patient(riverside, f"RV-2{number:03d}", f"Pat{number}", "Lee")
        Procedure.objects.create(patient=patient, performed_at=at("2026-03-02 15:00"))
    client.force_login(leo)
    assert len(csv_rows(client.get("/reports/export/patients.csv", RANGE))) == 1 + 5
    assert len(csv_rows(client.get("/reports/export/drainage-log.csv", RANGE))) == 1 + 5


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_defused(client, leo, riverside):
    patient = make_patient(riverside, "RV-3001", "=HYPERLINK(\"http://example.org\")", "Doe")
    Procedure.objects.create(patient=patient, performed_at=at("2026-03-02 15:00"))
    client.force_login(leo)
    row = csv_rows(client.get("/reports/export/drainage-log.csv", RANGE))[1]
    assert row[1] == "Doe, =HYPERLINK(\"http://example.org\")"  # not at the start of the cell: harmless
    patient.family_name = "=cmd"
    patient.save()
    row = csv_rows(client.get("/reports/export/drainage-log.csv", RANGE))[1]
    assert row[1].startswith("'=cmd")

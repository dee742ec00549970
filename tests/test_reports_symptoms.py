"""Symptom burden: the share of reports with a severe item, per ESAS-r item and month, and how
long severe alerts waited for a nurse (median and 90th percentile)."""

from datetime import date, timedelta

import pytest
from django.db import connection

from followup.models import Alert, SymptomReport
from followup.reports import queries
from followup.reports.queries import Scope

from .conftest import at, make_alert


def report(patient, moment, **scores):
    return SymptomReport.objects.create(patient=patient, reported_at=at(moment), completed_by="patient", source="web", **scores)


@pytest.fixture
def reports(alice, bob):
    """February: four reports, one with severe pain (8). March: two reports, both severe - nausea
    exactly 7 (the other left nausea blank) and wellbeing 10. A report from 31 January is outside."""
    report(alice, "2026-02-02 15:00", pain=8, tiredness=3, nausea=2)
    report(alice, "2026-02-09 15:00", pain=6, tiredness=4, nausea=1)
    report(bob, "2026-02-10 15:00", pain=2, tiredness=6)
    report(bob, "2026-02-20 15:00", pain=0, tiredness=5)
    report(alice, "2026-03-02 15:00", pain=3, nausea=7)
    report(bob, "2026-03-03 15:00", pain=2, wellbeing=10)
    report(alice, "2026-01-31 15:00", pain=10)


def feb_march(clinic):
    return Scope((clinic,), date(2026, 2, 1), date(2026, 3, 31))


def test_share_of_reports_with_a_severe_item_per_month(riverside, reports):
    assert queries.severe_share_per_month(feb_march(riverside)) == [
        (date(2026, 2, 1), 4, 1, 25.0),
        (date(2026, 3, 1), 2, 2, 100.0),
    ]


def test_share_per_item_counts_only_reports_that_scored_the_item(riverside, reports):
    rows = {(month, item): figures for month, item, *figures in queries.severe_share_per_item(feb_march(riverside))}
    assert rows[(date(2026, 2, 1), "Pain")] == [4, 1, 25.0]
    assert rows[(date(2026, 2, 1), "Nausea")] == [2, 0, 0.0]
    assert rows[(date(2026, 3, 1), "Nausea")] == [1, 1, 100.0]  # 7 counts as severe; the blank one does not count
    assert rows[(date(2026, 3, 1), "Wellbeing")] == [1, 1, 100.0]
    assert rows[(date(2026, 3, 1), "Anxiety")] == [0, 0, None]  # nobody scored it: blank, not 0 %
    assert len(rows) == 20  # ten items, two months


def test_report_month_is_the_patients_local_month(riverside, alice):
    report(alice, "2026-03-01 03:00", pain=9)  # 22:00 on 28 February in New York
    assert queries.severe_share_per_month(feb_march(riverside))[0] == (date(2026, 2, 1), 1, 1, 100.0)


@pytest.fixture
def alerts(alice, bob):
    """Severe alerts raised in February, acknowledged after 1, 2, 3 and 10 hours, and one still
    open; one in March acknowledged after 4 hours. A worsening alert does not count."""
    def alert(patient, moment, hours, severe=True):
        raised = at(moment)
        source = report(patient, moment, pain=8 if severe else 5)
        Alert.objects.filter(report=source).delete()  # the rules' own alert: this one is set by hand
        make_alert(source, ("pain", 8) if severe else ("pain", 5, 2), created_at=raised,
                   acknowledged_at=None if hours is None else raised + timedelta(hours=hours))

    for day, hours in [("2026-02-02", 1), ("2026-02-03", 10), ("2026-02-04", 2), ("2026-02-05", 3), ("2026-02-06", None)]:
        alert(alice, f"{day} 15:00", hours)
    alert(bob, "2026-03-02 15:00", 4)
    alert(bob, "2026-03-05 15:00", 30, severe=False)


def test_time_to_acknowledge_severe_alerts_median_and_90th_percentile(riverside, alerts):
    assert queries.acknowledgement_times(feb_march(riverside)) == [
        # month, alerts, acknowledged, open, median hours, 90th percentile hours
        (date(2026, 2, 1), 5, 4, 1, 2.5, pytest.approx(7.9)),  # 1, 2, 3, 10: 3 + 0.7 x (10 - 3)
        (date(2026, 3, 1), 1, 1, 0, 4.0, 4.0),
        (None, 6, 5, 1, 3.0, pytest.approx(7.6)),  # 1, 2, 3, 4, 10: 4 + 0.6 x (10 - 4)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_percentiles_equal_postgresqls_percentile_cont(riverside, alerts):
    with connection.cursor() as cursor:
        cursor.execute("""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM acknowledged_at - created_at) / 3600),
                                 percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM acknowledged_at - created_at) / 3600)
                          FROM followup_alert WHERE severe AND acknowledged_at IS NOT NULL""")
        median, p90 = cursor.fetchone()
    whole = queries.acknowledgement_times(feb_march(riverside))[-1]
    assert (whole[4], whole[5]) == (pytest.approx(float(median)), pytest.approx(float(p90)))


def test_page_shows_the_tables_and_charts(client, leo, reports, alerts):
    client.force_login(leo)
    body = client.get("/reports/symptoms/", {"start": "2026-02-01", "end": "2026-03-31"}).content.decode()
    for table in ("table-severe", "table-severe-items", "table-acknowledgement"):
        assert f'id="{table}"' in body
    assert '<td class="num">7.9</td>' in body
    assert 'aria-labelledby="severe-chart-title severe-chart-desc"' in body
    assert 'aria-labelledby="item-chart-title item-chart-desc"' in body

"""The patient's timeline folds the reminders one change cancelled into one line, and can show care,
messages or everything."""

import re

import pytest
import time_machine

from followup import services
from followup.models import Kind, Occurrence, Reminder
from tests.conftest import at

NOW = at("2026-03-02 15:00")


@pytest.fixture
def alice_moved(alice, dora):
    """Alice and her daughter Dora get the drainage reminders; then the drainage is moved a week."""
    with time_machine.travel(NOW, tick=False):
        services.enrol(alice)
        drainage = alice.occurrences.get(kind=Kind.PARACENTESIS, state=Occurrence.State.SCHEDULED)
        services.reschedule(drainage, drainage.due_at + (at("2026-03-10 14:00") - at("2026-03-03 14:00")), note="Patient asked")
    return alice


def timeline_titles(page):
    timeline = page.split('id="timeline"')[1]
    return [re.sub(r"<[^>]+>", "", title).strip() for title in re.findall(r'<p class="event-title">(.*?)</p>', timeline, re.S)]


@time_machine.travel(NOW, tick=False)
def test_reminders_cancelled_by_one_change_are_one_line(client, nina, alice_moved):
    cancelled = Reminder.objects.filter(patient=alice_moved, state=Reminder.State.CANCELLED).count()
    assert cancelled >= 2
    client.force_login(nina)
    titles = timeline_titles(client.get(f"/patients/{alice_moved.pk}/").content.decode())
    assert f"{cancelled} reminders cancelled: appointment moved" in titles
    assert not any(title.startswith("Reminder ·") and "cancelled" in title for title in titles)


@time_machine.travel(NOW, tick=False)
def test_the_care_view_leaves_out_messages_and_the_messages_view_keeps_only_them(client, nina, alice_moved):
    services.record_symptom_report(alice_moved, scores={"pain": 3}, completed_by="patient", source="web")
    client.force_login(nina)
    care = timeline_titles(client.get(f"/patients/{alice_moved.pk}/", {"timeline": "care"}).content.decode())
    messages = timeline_titles(client.get(f"/patients/{alice_moved.pk}/", {"timeline": "messages"}).content.decode())
    assert any(title.startswith("Symptom report") for title in care)
    assert not any("reminder" in title.lower() for title in care)
    assert any("reminders cancelled" in title for title in messages)
    assert not any(title.startswith("Symptom report") for title in messages)


@time_machine.travel(NOW, tick=False)
def test_the_chosen_view_is_marked_and_an_unknown_one_shows_everything(client, nina, alice_moved):
    client.force_login(nina)
    page = client.get(f"/patients/{alice_moved.pk}/", {"timeline": "care"}).content.decode()
    assert '<a href="?timeline=care#timeline" aria-current="true">Care</a>' in page
    page = client.get(f"/patients/{alice_moved.pk}/", {"timeline": "nonsense"}).content.decode()
    assert '<a href="?timeline=all#timeline" aria-current="true">Everything</a>' in page

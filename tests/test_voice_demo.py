"""`make run` shows what the demo's voice reminders say: one of the reminders the demo makes due at once
is a call, `seed_demo` lists the next calls with their words, and the console voice backend prints the
call as the worker places it (the number masked)."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from followup.messaging import delivery
from followup.models import Reminder

MIDDAY_UTC = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)  # the demo's Spanish caller in London is awake


@pytest.mark.django_db
def test_the_demo_places_a_call_at_once_and_the_console_prints_what_it_says(settings, capsys,
                                                                           django_capture_on_commit_callbacks):
    settings.VOICE_BACKEND = "followup.voice.backends.ConsoleVoiceBackend"
    out = io.StringIO()
    with time_machine.travel(MIDDAY_UTC, tick=False):
        call_command("seed_demo", "--force", stdout=out)
    listed = out.getvalue()
    assert "Voice reminders (ConsoleVoiceBackend prints each call as it goes out):" in listed
    assert "Hola. Le llama Riverside Care Team." in listed

    soon = MIDDAY_UTC + timedelta(minutes=2)
    call = Reminder.objects.get(channel="voice", state=Reminder.State.PLANNED, send_at__lte=soon,
                                patient__clinic__name="Riverside Palliative Care")
    with time_machine.travel(soon, tick=False):
        claimed = []
        with django_capture_on_commit_callbacks(execute=True):
            delivery.dispatch_due_reminders(now=soon, enqueue=claimed.extend)
        capsys.readouterr()
        delivery.send_reminders([pk for pk in claimed if pk == call.pk], now=soon)
    printed = capsys.readouterr().out
    assert "--- Voice call to +1202555••" in printed and f"(key {call.key}) ---" in printed
    assert "Hola. Le llama Riverside Care Team. Hoy," in printed and "pulse 9." in printed
    assert str(call.patient.mobile) not in printed  # masked

"""Bulk builders for tests and benchmarks that need many due reminders at once.

Plain ORM rows, every value visible: patients P0000..., numbers in +1 202 555 01xx, one drainage
occurrence each an hour from now, and one text reminder each, due a minute ago, in a time zone
where it is midday now (so quiet hours never get in the way, whatever hour the run happens at).
"""

from datetime import timedelta

from django.utils import timezone

from followup.models import CareSchedule, Clinic, Kind, Occurrence, Patient, Reminder


def midday_zone(now):
    """An IANA zone where the local time is about 12:00 at `now` (Etc/GMT-N is UTC+N)."""
    offset = 12 - now.hour
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")


def due_text_reminders(count, now=None, clinic=None, batch=2000):
    now = now or timezone.now()
    clinic = clinic or Clinic.objects.get_or_create(name="Benchmark Clinic", defaults={"phone": "+12025550100"})[0]
    clinic.sms_per_day, clinic.sms_per_week = 1000, 1000
    clinic.save(update_fields=["sms_per_day", "sms_per_week"])
    zone = midday_zone(now)
    start = Patient.objects.count()
    patients = Patient.objects.bulk_create(
        [
            Patient(clinic=clinic, mrn=f"P{start + i:06d}", given_name="Test", family_name=f"Patient {start + i}",
                    time_zone=zone, mobile=f"+120255501{(start + i) % 100:02d}", preferred_channel="sms",
                    consent_at=now - timedelta(days=30), consent_source="written form")
            for i in range(count)
        ],
        batch_size=batch,
    )
    schedules = CareSchedule.objects.bulk_create(
        [CareSchedule(patient=p, kind=Kind.PARACENTESIS, interval_count=14, interval_unit="days") for p in patients], batch_size=batch
    )
    due_at = now + timedelta(hours=1)
    occurrences = Occurrence.objects.bulk_create(
        [Occurrence(schedule=s, patient=s.patient, kind=Kind.PARACENTESIS, due_at=due_at, due_date=due_at.date()) for s in schedules],
        batch_size=batch,
    )
    return Reminder.objects.bulk_create(
        [
            Reminder(occurrence=o, patient=o.patient, recipient="patient", channel="sms", purpose=Reminder.Purpose.MORNING_OF,
                     due_at=due_at, send_at=now - timedelta(minutes=1), expires_at=now + timedelta(minutes=50))
            for o in occurrences
        ],
        batch_size=batch,
    )

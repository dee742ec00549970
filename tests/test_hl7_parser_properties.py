"""Mangled HL7 thrown at the parser and at the intake (hypothesis).

- `adt.read` either reads a message or refuses it (`Refused`): never any other exception, whatever
  the bytes; and every refusal can be acknowledged, with MSA-1 AR.
- A message answered AR changed nothing: Alice's record, her reminders, notices for nurses and the
  audit log are as they were. The messages start from real ones (a death in a discharge, an update
  with a new name and phone) and are cut, spliced, re-encoded and sprinkled with separators.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from followup import services
from followup.hospital import adt, intake
from followup.models import AccessLog, HospitalNotice, Patient, Reminder, StatusChange
from tests.hl7_messages import ack_fields
from tests.hl7_messages import adt as build

PROPERTIES = hypothesis_settings(
    max_examples=300, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DB_PROPERTIES = hypothesis_settings(PROPERTIES, max_examples=120)

SEEDS = [
    build("A03", "MSG-P1", pid={29: "20260101090000-0500", 30: "Y"}),
    build("A08", "MSG-P2", name="Núñez^José", dob="19480313", pid={13: "^PRN^CP^^1^202^5550177"}),
    build("A01", "MSG-P3"),
    build("A40", "MSG-P4", extra=["MRG|RV-1099^^^STMARYS^MR"]),
]
NOISE = st.text(alphabet=st.sampled_from(list("|^~\\&\r\nMSHPIDEVN0123456789AY-+. \x0b\x1c\x00é")), max_size=12)


@st.composite
def mangled(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        operation = draw(st.sampled_from(["cut", "insert", "replace", "truncate", "swap case"]))
        if operation == "cut":
            text = text[:start] + text[end:]
        elif operation == "insert":
            text = text[:start] + draw(NOISE) + text[start:]
        elif operation == "replace":
            text = text[:start] + draw(NOISE) + text[end:]
        elif operation == "truncate":
            text = text[:start]
        else:
            text = text[:start] + text[start:end].swapcase() + text[end:]
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, "replace")


@PROPERTIES
@given(raw=st.binary(max_size=400) | mangled())
def test_reading_any_bytes_gives_a_message_or_a_refusal_never_an_exception(raw):
    try:
        message = adt.read(raw)
    except adt.Refused as refused:
        ack = ack_fields(adt.acknowledgement("AR", message=refused.message, text=refused.reason, error=refused.code))
        assert ack["MSA-1"] == "AR"
        assert refused.reason
    else:
        assert message.control_id
        assert message.version in adt.SUPPORTED_VERSIONS


@PROPERTIES
@given(text=st.text(max_size=300))
def test_reading_any_text_gives_a_message_or_a_refusal_never_an_exception(text):
    try:
        adt.read("MSH" + text)
    except adt.Refused:
        pass


@pytest.fixture
def patient(riverside, alice, dora):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    services.enrol(alice)
    return alice


def snapshot(patient):
    alice = Patient.objects.get(pk=patient.pk)
    return (
        (alice.status, alice.given_name, alice.family_name, alice.date_of_birth, str(alice.mobile)),
        sorted(Reminder.objects.filter(patient=alice).values_list("pk", "state")),
        StatusChange.objects.count(), HospitalNotice.objects.count(), AccessLog.objects.count(),
        alice.history.count(),
    )


@DB_PROPERTIES
@given(raw=mangled())
def test_a_message_answered_ar_changes_nothing(patient, raw):
    with transaction.atomic():
        before = snapshot(patient)
        ack = ack_fields(intake.receive(raw))
        assert ack["MSA-1"] in ("AA", "AE", "AR")
        event(ack["MSA-1"])
        if ack["MSA-1"] == "AR":
            assert snapshot(patient) == before
        transaction.set_rollback(True)  # every example starts from the same Alice

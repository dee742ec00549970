"""One HL7 v2 ADT message, read into plain values with python-hl7, or refused with a reason.

`read(text)` returns an `AdtMessage` or raises `Refused`; it never raises anything else, whatever
the text (the hypothesis tests in tests/test_hl7_parser_properties.py hold that). `acknowledgement`
builds the ACK for any of them, a message that could not be read at all included.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import hl7
import phonenumbers

# Versions whose ADT segments (MSH, EVN, PID, MRG) carry the fields we read at the same places.
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2")
EVENTS = ("A01", "A03", "A08", "A40")
# PID-3 identifier types (CX.5) that are a medical record number; others (SS, DL, AN...) never match.
MRN_TYPES = ("", "MR", "MRN", "PI", "PT")
ACK_APPLICATION = "FOLLOWUP"
PHONE_REGION = "US"  # a number written without +country code, as US hospitals do
# The latest a local time without an offset can be, anywhere (UTC+14): used to refuse a time of death
# that is in the future whatever zone the hospital meant.
_EARLIEST_OFFSET = timedelta(hours=14)

# HL7 error codes (table 0357) sent in ERR-3.
MESSAGE_REJECTED = "207"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
_ERROR_NAMES = {
    "101": "Required field missing", "102": "Data type error", "200": "Unsupported message type",
    "203": "Unsupported version id", "204": "Unknown key identifier", "207": "Application internal error",
}


class Refused(Exception):
    """The message is malformed or unsupported: answered AR, nothing changed."""

    def __init__(self, reason, code=MESSAGE_REJECTED, message=None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.message = message  # the parsed hl7.Message when the MSH could be read, for the ACK


@dataclass(frozen=True)
class Identifier:
    """One PID-3 (or MRG-1) repetition: an MRN and, if sent, its assigning authority."""

    mrn: str
    authority: str = ""  # CX.4.1 namespace id
    authority_id: str = ""  # CX.4.2 universal id (an OID)

    def is_of(self, authority):
        return bool(authority) and authority in (self.authority, self.authority_id)


@dataclass
class AdtMessage:
    control_id: str
    sending_application: str
    sending_facility: str
    message_type: str
    event: str
    version: str
    sent_at: datetime | None
    identifiers: list[Identifier]
    family_name: str = ""
    given_name: str = ""
    date_of_birth: date | None = None
    mobile: str = ""  # E.164, or "" when PID-13 has no usable number
    died: bool = False
    died_at_text: str = ""  # PID-29 as sent: read in the patient's clinic zone when it has no offset
    prior_identifiers: list[Identifier] = field(default_factory=list)  # MRG-1 of an A40
    message: hl7.Message | None = None

    def died_at(self, zone):
        """PID-29 as an aware datetime; a time without an offset is the hospital's local time, `zone`."""
        if not self.died_at_text:
            return None
        moment = _datetime(self.died_at_text, "PID-29")
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


_HEADER = re.compile(r"MSH([^A-Za-z0-9\r\n])([^A-Za-z0-9\r\n]{1,4})\1")


def _text(raw):
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            # MSH-18 8859/1 is the other character set hospitals send; its bytes always decode.
            if b"8859/1" not in bytes(raw)[:1000]:
                raise Refused("The message is not UTF-8 text and does not declare ISO 8859/1 in MSH-18.",
                              DATA_TYPE_ERROR) from None
            raw = bytes(raw).decode("latin-1")
    # Segments end with a carriage return; some engines send CR LF or LF.
    return raw.replace("\r\n", "\r").replace("\n", "\r").strip("\r \t\x00")


def _value(message, segment, field_num, repeat=1, component=1, subcomponent=1):
    """A field's text, unescaped; "" when absent (python-hl7 raises for paths past a leaf)."""
    try:
        value = segment.extract_field(1, field_num, repeat, component, subcomponent)
    except (IndexError, KeyError, TypeError, ValueError):
        return ""
    return str(value).strip() if value is not None else ""


def _repeats(segment, field_num):
    if field_num >= len(segment):
        return 0
    value = segment(field_num)
    return len(value) if isinstance(value, hl7.Field) else int(bool(value))


_DTM = re.compile(r"\d{4}(?:\d{2}){0,5}(?:\.\d{1,4})?(?:[+-]\d{4})?")


def _datetime(text, where):
    """An HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]); python-hl7 alone also takes 2026-12-01."""
    if not _DTM.fullmatch(text):
        raise Refused(f"{where} is not an HL7 date/time.", DATA_TYPE_ERROR)
    try:
        moment = hl7.parse_datetime(text)
    except (ValueError, OverflowError, TypeError):
        raise Refused(f"{where} is not an HL7 date/time.", DATA_TYPE_ERROR) from None
    if moment is None:
        raise Refused(f"{where} is empty.", REQUIRED_FIELD_MISSING)
    return moment


def _identifiers(message, segment, field_num):
    found = []
    for repeat in range(1, _repeats(segment, field_num) + 1):
        mrn = _value(message, segment, field_num, repeat, 1)
        kind = _value(message, segment, field_num, repeat, 5).upper()
        if mrn and kind in MRN_TYPES:
            found.append(Identifier(mrn[:40], _value(message, segment, field_num, repeat, 4, 1),
                                    _value(message, segment, field_num, repeat, 4, 2)))
    return found


def _mobile(message, pid):
    """The patient's mobile from PID-13 (home phone, XTN): the repetition marked CP (cell phone)
    first, else the first that is a valid number. "" when none is."""
    candidates = []
    for repeat in range(1, _repeats(pid, 13) + 1):
        equipment = _value(message, pid, 13, repeat, 3).upper()
        number = _value(message, pid, 13, repeat, 12)  # XTN.12 unformatted (v2.5+)
        if not number:
            area, local = _value(message, pid, 13, repeat, 6), _value(message, pid, 13, repeat, 7)
            country = _value(message, pid, 13, repeat, 5)
            number = f"+{country}{area}{local}" if country and area else f"{area}{local}"
        if not re.sub(r"\D", "", number):
            number = _value(message, pid, 13, repeat, 1)  # XTN.1, the number as formatted text
        candidates.append((equipment != "CP", repeat, number))
    for _, _, number in sorted(candidates):
        try:
            parsed = phonenumbers.parse(number, PHONE_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return ""


def _segment(message, name):
    try:
        return message.segment(name)
    except (KeyError, IndexError):
        return None


def read(raw, now=None):
    """The ADT message in `raw` (bytes or text, without MLLP framing), or Refused."""
    now = now or datetime.now(UTC)
    text = _text(raw)
    if not text:
        raise Refused("The message is empty.", REQUIRED_FIELD_MISSING)
    if not text.startswith("MSH"):
        raise Refused("The message does not begin with an MSH segment.", REQUIRED_FIELD_MISSING)
    header = _HEADER.match(text)
    if header is None or len(set(header.group(1) + header.group(2))) != 1 + len(header.group(2)):
        raise Refused("MSH-1 and MSH-2 do not give distinct field and encoding characters.", DATA_TYPE_ERROR)
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except Exception:  # python-hl7 raises several kinds on broken structure; all mean the same here
        raise Refused("The message structure cannot be read.", DATA_TYPE_ERROR) from None
    return _read_parsed(message, msh, now)


def _read_parsed(message, msh, now):
    def refuse(reason, code=MESSAGE_REJECTED):
        return Refused(reason, code, message)

    control_id = _value(message, msh, 10)
    if not control_id:
        raise refuse("MSH-10 (message control id) is missing.", REQUIRED_FIELD_MISSING)
    version = _value(message, msh, 12)
    if version not in SUPPORTED_VERSIONS:
        raise refuse(f"HL7 version {version[:20] or '(none)'} is not supported; send 2.3 to 2.8.", UNSUPPORTED_VERSION)
    kind, event = _value(message, msh, 9, 1, 1).upper(), _value(message, msh, 9, 1, 2).upper()
    evn = _segment(message, "EVN")
    if not event and evn is not None:
        event = _value(message, evn, 1).upper()
    if kind != "ADT":
        raise refuse(f"Message type {kind[:10] or '(none)'} is not accepted: Followup takes ADT messages.",
                     UNSUPPORTED_MESSAGE_TYPE)
    sent_text = _value(message, msh, 7)
    sent_at = _datetime(sent_text, "MSH-7") if sent_text else None
    adt = AdtMessage(
        control_id=control_id[:199], sending_application=_value(message, msh, 3)[:180],
        sending_facility=_value(message, msh, 4)[:180], message_type=f"{kind}^{event}"[:20], event=event[:3],
        version=version, sent_at=sent_at, identifiers=[], message=message,
    )
    if event not in EVENTS:
        return adt  # an ADT event Followup does not use: acknowledged, nothing done
    pid = _segment(message, "PID")
    if pid is None:
        raise refuse(f"An {event} needs a PID segment.", REQUIRED_FIELD_MISSING)
    adt.identifiers = _identifiers(message, pid, 3)
    if not adt.identifiers:
        raise refuse("PID-3 carries no medical record number.", REQUIRED_FIELD_MISSING)
    adt.family_name = _value(message, pid, 5, 1, 1, 1)[:80]
    adt.given_name = _value(message, pid, 5, 1, 2)[:80]
    birth = _value(message, pid, 7)
    if birth:
        adt.date_of_birth = _datetime(birth, "PID-7").date()
        if adt.date_of_birth > now.date() + timedelta(days=1):
            raise refuse("PID-7 (date of birth) is in the future.", DATA_TYPE_ERROR)
    adt.mobile = _mobile(message, pid)
    indicator = _value(message, pid, 30).upper()
    if indicator not in ("", "Y", "N"):
        raise refuse(f"PID-30 (death indicator) must be Y or N, not {indicator[:5]!r}.", DATA_TYPE_ERROR)
    adt.died = indicator == "Y"
    adt.died_at_text = _value(message, pid, 29)
    if adt.died_at_text:
        died_at = _datetime(adt.died_at_text, "PID-29")
        earliest = died_at.astimezone(UTC) if died_at.tzinfo else died_at.replace(tzinfo=UTC) - _EARLIEST_OFFSET
        if earliest > now + timedelta(minutes=5):
            raise refuse("PID-29 (date/time of death) is in the future.", DATA_TYPE_ERROR)
    if event == "A40":
        mrg = _segment(message, "MRG")
        if mrg is None:
            raise refuse("An A40 needs an MRG segment naming the record merged away.", REQUIRED_FIELD_MISSING)
        adt.prior_identifiers = _identifiers(message, mrg, 1)
        if not adt.prior_identifiers:
            raise refuse("MRG-1 carries no medical record number.", REQUIRED_FIELD_MISSING)
    return adt


def sender_of(message):
    """The sender, message id and type of a parsed message (one `read` refused, too), for the log."""
    values = {"sending_application": "", "sending_facility": "", "control_id": "", "message_type": ""}
    if message is None:
        return values
    msh = message.segment("MSH")
    values.update(
        sending_application=_value(message, msh, 3)[:180], sending_facility=_value(message, msh, 4)[:180],
        control_id=_value(message, msh, 10)[:199],
        message_type="^".join(filter(None, (_value(message, msh, 9, 1, 1), _value(message, msh, 9, 1, 2))))[:20],
    )
    return values


# --- Acknowledgements -----------------------------------------------------------------------------

def _shortened(text, limit):
    if len(text) <= limit:
        return text
    return text[:limit - 3].rsplit(" ", 1)[0] + "..."


_BLANK_SOURCE = "MSH|^~\\&|||||||^|||2.5"


def acknowledgement(code, *, message=None, text="", error=None):
    """The ACK for a message (an hl7.Message, or None when none could be read): MSA-1 `code`,
    MSA-2 the message's own MSH-10, MSA-3 `text`, and ERR-3 `error` (table 0357) when given."""
    try:
        ack = message.create_ack(code, None, ACK_APPLICATION)
    except Exception:  # no message, or an MSH python-hl7 cannot copy: answer from a blank one
        ack = hl7.parse(_BLANK_SOURCE).create_ack(code, None, ACK_APPLICATION)
        try:
            ack.segment("MSA").assign_field(str(message.segment("MSH")(10)), 2)
        except Exception:
            pass  # no MSH-10 to answer to: MSA-2 stays empty
    msa = ack.segment("MSA")
    if text:
        msa.assign_field(ack.escape(_shortened(text, 80)), 3)  # MSA-3 is 80 characters; ERR-8 has it all
    if error:
        err = ack.create_segment([ack.create_field(["ERR"])])
        err.assign_field(error, 3, 1, 1)
        err.assign_field(_ERROR_NAMES.get(error, ""), 3, 1, 2)
        err.assign_field("HL70357", 3, 1, 3)
        err.assign_field("E", 4)
        if text:
            err.assign_field(ack.escape(_shortened(text, 250)), 8)
        ack.append(err)
    return str(ack)

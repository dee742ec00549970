"""HL7 v2 ADT messages as St. Mary's & Riverside Hospital's interface engine sends them, built field
by field so every value a test depends on is visible in the test.

    adt("A01", "MSG-0001", mrn="RV-1001")                        # an admission of Alice
    adt("A03", "MSG-0002", mrn="RV-1001", pid={29: "20261130101500-0500", 30: "Y"})   # discharged: died
"""

HOSPITAL_APP, HOSPITAL = "EPIC", "STMARYS"
SENT_AT = "20261201093000"


def segment(name, fields):
    """A segment from {field number: value}; the fields between are empty."""
    last = max(fields) if fields else 0
    return "|".join([name] + [str(fields.get(number, "")) for number in range(1, last + 1)])


def adt(event, control_id, *, mrn="RV-1001", authority="STMARYS", name="Archer^Alice", dob="19480312",
        pid=None, version="2.5.1", message_type=None, extra=(), msh=None):
    identifier = f"{mrn}^^^{authority}^MR" if authority else f"{mrn}^^^^MR"
    header = {2: "^~\\&", 3: HOSPITAL_APP, 4: HOSPITAL, 5: "FOLLOWUP", 6: "RIVERSIDE", 7: SENT_AT,
              9: message_type or f"ADT^{event}^ADT_{event}", 10: control_id, 11: "P", 12: version}
    header.update(msh or {})
    # MSH-1 is the field separator itself: the segment text starts "MSH|^~\&|..."
    msh_text = "MSH|" + "|".join(str(header.get(number, "")) for number in range(2, max(header) + 1))
    fields = {1: "1", 3: identifier, 5: name, 7: dob, 8: "F"}
    fields.update(pid or {})
    fields = {number: value for number, value in fields.items() if value is not None}
    segments = [msh_text, segment("EVN", {1: event, 2: SENT_AT}), segment("PID", fields), *extra]
    return "\r".join(segments) + "\r"


def merge(control_id, *, mrn, prior_mrn, authority="STMARYS"):
    prior = f"{prior_mrn}^^^{authority}^MR" if authority else prior_mrn
    return adt("A40", control_id, mrn=mrn, authority=authority, extra=[segment("MRG", {1: prior})])


def frame(message):
    data = message.encode("utf-8") if isinstance(message, str) else message
    return b"\x0b" + data + b"\x1c\x0d"


def ack_fields(ack):
    """{'MSA-1': 'AA', 'MSA-2': ..., 'MSA-3': ..., 'ERR-3': ...} of an ACK's text."""
    values = {}
    for line in ack.strip("\r").split("\r"):
        parts = line.split("|")
        if parts[0] == "MSA":
            values.update({f"MSA-{i}": value for i, value in enumerate(parts[1:], start=1)})
        if parts[0] == "ERR":
            values["ERR-3"] = parts[3] if len(parts) > 3 else ""
        if parts[0] == "MSH":
            values["MSH-9"] = parts[8] if len(parts) > 8 else ""
    return values

"""The hospital tells us: HL7 v2 ADT messages over MLLP (admissions, discharges, deaths, updates, merges).

- `adt` reads one message into plain values, or refuses it with a reason (pure: text in, values out);
- `intake` matches the patient, applies the event in one transaction and keeps the message and its ACK;
- `listener` is the MLLP server (`manage.py hl7_listener`) that feeds `intake` from many connections;
- `notices` are what the hospital leaves for a nurse to decide on the worklist.
"""

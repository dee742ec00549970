from .audit import AccessLog, AppendOnlyError
from .care import ESAS_FIELDS, ESAS_ITEMS, Alert, CareSchedule, Kind, Occurrence, Procedure, SymptomFormLink, SymptomReport
from .clinics import CalendarFeed, Clinic, Membership, User
from .hospital import HospitalMessage, HospitalNotice
from .messaging import Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, Patient, StatusChange

__all__ = [
    "AccessLog", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "CalendarFeed", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "HospitalMessage", "HospitalNotice",
    "InboundMessage", "Kind", "Language", "Membership", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User",
]

from .audit import AccessLog, AppendOnlyError
from .care import ESAS_FIELDS, ESAS_ITEMS, Alert, CareSchedule, Kind, Occurrence, Procedure, SymptomFormLink, SymptomReport
from .clinics import CalendarFeed, Clinic, Membership, User
from .messaging import EmailAddress, Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, Patient, StatusChange

__all__ = [
    "AccessLog", "EmailAddress", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "CalendarFeed", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "InboundMessage", "Kind", "Language", "Membership", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User",
]

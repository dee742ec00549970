from .audit import AccessLog, AppendOnlyError
from .care import ESAS_FIELDS, ESAS_ITEMS, Alert, CareSchedule, Kind, Occurrence, Procedure, SymptomFormLink, SymptomReport
from .clinics import CalendarFeed, Clinic, Membership, User
from .messaging import Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, LineType, Patient, StatusChange
from .voice import VoiceCall

__all__ = [
    "AccessLog", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "CalendarFeed", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "InboundMessage", "Kind", "Language", "LineType", "Membership", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User", "VoiceCall",
]

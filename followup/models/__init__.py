from .audit import AccessLog, AppendOnlyError
from .calls import CallAttempt
from .care import ESAS_FIELDS, ESAS_ITEMS, Alert, AlertItem, CareSchedule, Kind, Occurrence, Procedure, SymptomFormLink, SymptomReport
from .clinics import CalendarFeed, Clinic, Membership, OnCallContact, User, WorkingHours
from .messaging import EmailAddress, Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, LineType, Patient, StatusChange
from .voice import VoiceCall

__all__ = [
    "AccessLog", "EmailAddress", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "AlertItem", "CalendarFeed", "CallAttempt", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "InboundMessage", "Kind", "Language", "LineType", "Membership", "OnCallContact", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User", "VoiceCall", "WorkingHours",
]

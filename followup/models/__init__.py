from .audit import AccessLog, AppendOnlyError
from .calls import CallAttempt
from .care import ESAS_FIELDS, ESAS_ITEMS, Alert, AlertItem, CareSchedule, Kind, Occurrence, Procedure, SymptomFormLink, SymptomReport
from .clinics import CalendarFeed, Clinic, Membership, OnCallContact, User, WorkingHours
from .messaging import Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, Patient, StatusChange

__all__ = [
    "AccessLog", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "AlertItem", "CalendarFeed", "CallAttempt", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "InboundMessage", "Kind", "Language", "Membership", "OnCallContact", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User", "WorkingHours",
]

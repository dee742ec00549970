from .audit import AccessLog, AppendOnlyError
from .calls import CallAttempt
from .care import (
    DRAINAGE_KINDS,
    ESAS_FIELDS,
    ESAS_ITEMS,
    HOME_DRAINAGE_MAX_ML,
    Alert,
    AlertItem,
    CareSchedule,
    Kind,
    Occurrence,
    Procedure,
    SymptomFormLink,
    SymptomReport,
)
from .clinics import CalendarFeed, Clinic, Membership, OnCallContact, User, WorkingHours
from .hospital import HospitalMessage, HospitalNotice
from .life import AdvisoryAnswer, BereavementCall, Catheter, Death, HomeDrainageLink, Pause, PhaseEpisode
from .messaging import EmailAddress, Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, Patient, StatusChange

__all__ = [
    "DRAINAGE_KINDS", "HOME_DRAINAGE_MAX_ML", "AdvisoryAnswer", "BereavementCall", "Catheter", "Death", "HomeDrainageLink",
    "Pause", "PhaseEpisode",
    "AccessLog", "EmailAddress", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "AlertItem", "CalendarFeed", "CallAttempt", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "HospitalMessage", "HospitalNotice",
    "InboundMessage", "Kind", "Language", "Membership", "OnCallContact", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User", "WorkingHours",
]

from .audit import AccessLog, AppendOnlyError
from .care import (
    DRAINAGE_KINDS,
    ESAS_FIELDS,
    ESAS_ITEMS,
    HOME_DRAINAGE_MAX_ML,
    Alert,
    CareSchedule,
    Kind,
    Occurrence,
    Procedure,
    SymptomFormLink,
    SymptomReport,
)
from .clinics import CalendarFeed, Clinic, Membership, User
from .life import AdvisoryAnswer, BereavementCall, Catheter, Death, HomeDrainageLink, Pause, PhaseEpisode
from .messaging import Heartbeat, InboundMessage, Reminder, ReminderEvent
from .patients import Caregiver, Channel, Language, Patient, StatusChange

__all__ = [
    "DRAINAGE_KINDS", "HOME_DRAINAGE_MAX_ML", "AdvisoryAnswer", "BereavementCall", "Catheter", "Death", "HomeDrainageLink",
    "Pause", "PhaseEpisode",
    "AccessLog", "AppendOnlyError", "ESAS_FIELDS", "ESAS_ITEMS", "Alert", "CalendarFeed", "CareSchedule", "Caregiver", "Channel", "Clinic", "Heartbeat",
    "InboundMessage", "Kind", "Language", "Membership", "Occurrence", "Patient", "Procedure", "Reminder",
    "ReminderEvent", "StatusChange", "SymptomFormLink", "SymptomReport", "User",
]

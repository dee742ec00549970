"""Codes and identifier systems: standard codes where one fits, Followup's own code systems beside them.

Standard codes (each source is cited in docs/api.md, "Codes"):

- LOINC 112503-8, the Edmonton Symptom Assessment System panel: the code of the ESAS-r Questionnaire.
- SNOMED CT 178012008 |Percutaneous drainage of ascites|: a drainage (paracentesis of ascites).
- SNOMED CT 185317003 |Telephone encounter|: a check-in call.

The ESAS-r items, the drained volume, severity bands, PCOC phases and reminder purposes keep Followup's
own code systems: no standard code for them could be verified from a LOINC or SNOMED CT source.

Local code systems live under FHIR_TERMINOLOGY_BASE (by default this server's FHIR base, where each is
served as a CodeSystem resource), and MRN identifier systems come from FHIR_MRN_SYSTEMS per clinic, so
neither moves when SITE_URL does once they are set.
"""

from django.conf import settings

from ..languages import in_source_language as english
from ..models import ESAS_ITEMS, Kind, Patient, Reminder

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

ESAS_PANEL = {"system": LOINC, "code": "112503-8", "display": "Edmonton Symptom Assessment System"}
SNOMED_FOR_KIND = {
    Kind.PARACENTESIS: {"system": SNOMED, "code": "178012008", "display": "Percutaneous drainage of ascites"},
    Kind.CHECKIN: {"system": SNOMED, "code": "185317003", "display": "Telephone encounter"},
}


def fhir_base():
    return f"{settings.SITE_URL}/fhir/R4"


def terminology_base():
    return getattr(settings, "FHIR_TERMINOLOGY_BASE", "") or fhir_base()


def code_system(name):
    """Followup's own code systems: `{FHIR_TERMINOLOGY_BASE}/CodeSystem/<name>`."""
    return f"{terminology_base()}/CodeSystem/{name}"


def questionnaire_url():
    return f"{terminology_base()}/Questionnaire/esas-r"


def _default_mrn_system(clinic_id):
    return f"{settings.SITE_URL}/fhir/sid/clinic/{clinic_id}/mrn"


def mrn_system(clinic_id):
    """Each clinic issues its own MRNs, so each has its own identifier system: the one FHIR_MRN_SYSTEMS
    gives it (e.g. the hospital's OID), else one under SITE_URL."""
    return getattr(settings, "FHIR_MRN_SYSTEMS", {}).get(clinic_id) or _default_mrn_system(clinic_id)


def clinic_of_mrn_system(system):
    """The clinic whose MRN identifier system this is, or None for any other system."""
    for clinic_id, configured in getattr(settings, "FHIR_MRN_SYSTEMS", {}).items():
        if configured == system:
            return clinic_id
    prefix, suffix = f"{settings.SITE_URL}/fhir/sid/clinic/", "/mrn"
    if system.startswith(prefix) and system.endswith(suffix):
        middle = system[len(prefix):-len(suffix)]
        if middle.isascii() and middle.isdigit() and len(middle) <= 18:
            clinic_id = int(middle)
            # A clinic given its own system is known by that one only.
            if clinic_id not in getattr(settings, "FHIR_MRN_SYSTEMS", {}):
                return clinic_id
    return None


def esas_code(item):
    return item.replace("_", "-")


SEVERITY_BANDS = [("none", "None (0)"), ("mild", "Mild (1-3)"), ("moderate", "Moderate (4-6)"), ("severe", "Severe (7-10)")]

# The code systems Followup defines, each served at its own URL: {name: (title, description, concepts)}.
LOCAL_CODE_SYSTEMS = {
    "care-kind": ("Followup care kinds", "The kinds of care event a series plans.",
                  [(kind.value, english(kind.label)) for kind in Kind]),
    "observation": ("Followup observations", "Measurements recorded with a procedure.",
                    [("drained-volume", "Volume of fluid drained")]),
    "esas-r": ("ESAS-r items", "The items of the Edmonton Symptom Assessment System (revised), each scored 0 (none) "
                               "to 10 (worst possible); other-problem is the tenth, named by the patient.",
               [(esas_code(item), label) for item, label in ESAS_ITEMS]),
    "esas-r-severity": ("ESAS-r severity bands", "Bands in common use (Selby 2010).", SEVERITY_BANDS),
    "pcoc-phase": ("PCOC phases", "Palliative Care Outcomes Collaboration phases of care.",
                   [(phase.value, english(phase.label)) for phase in Patient.Phase]),
    "reminder-purpose": ("Followup reminder purposes", "Why a reminder was sent.",
                         [(purpose.value, english(purpose.label)) for purpose in Reminder.Purpose]),
}


def code_system_resource(name):
    title, description, concepts = LOCAL_CODE_SYSTEMS[name]
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": code_system(name),
        "name": "".join(part.title() for part in name.split("-")),
        "title": title,
        "status": "active",
        "publisher": "Followup",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": [{"code": code, "display": display} for code, display in concepts],
    }


def questionnaire_resource():
    """The ESAS-r as a Questionnaire, coded with the LOINC ESAS panel; its items keep the local codes."""
    items = [
        {"linkId": esas_code(item), "code": [{"system": code_system("esas-r"), "code": esas_code(item), "display": label}],
         "text": label, "type": "integer", "required": False}
        for item, label in ESAS_ITEMS
    ]
    items += [
        {"linkId": "other-problem-name", "text": "Other problem (named)", "type": "string", "required": False},
        {"linkId": "pps", "text": "Palliative Performance Scale (%)", "type": "integer", "required": False},
        {"linkId": "pcoc-phase", "text": "PCOC phase", "type": "choice", "required": False,
         "answerOption": [{"valueCoding": {"system": code_system("pcoc-phase"), "code": phase.value, "display": english(phase.label)}}
                          for phase in Patient.Phase]},
    ]
    return {
        "resourceType": "Questionnaire",
        "id": "esas-r",
        "url": questionnaire_url(),
        "name": "ESASr",
        "title": "Edmonton Symptom Assessment System (revised)",
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Followup",
        "description": "Each symptom rated now, 0 (none) to 10 (worst possible). The nine core items are those of the "
                       "LOINC ESAS panel; the tenth, 'other problem', is named by the patient.",
        "code": [ESAS_PANEL],
        "item": items,
    }


CONFORMANCE = {"CodeSystem": sorted(LOCAL_CODE_SYSTEMS), "Questionnaire": ["esas-r"]}


def conformance_resource(resource_type, resource_id):
    if resource_type == "CodeSystem" and resource_id in LOCAL_CODE_SYSTEMS:
        return code_system_resource(resource_id)
    if resource_type == "Questionnaire" and resource_id == "esas-r":
        return questionnaire_resource()
    return None

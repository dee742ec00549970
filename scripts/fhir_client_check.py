"""Drive a running Followup with fhirpy, a FHIR client nobody here wrote: create a patient (conditionally,
on the MRN), search their appointments with _include and _sort, reschedule one, and read an old version;
then send a symptom report as an ESAS panel Observation and find it by its LOINC code.

    .venv/bin/python scripts/fhir_client_check.py --base http://127.0.0.1:8000/fhir/R4 --token <key>

`--token` is a staff member's API token (`manage.py drf_create_token <username>`), or `--bearer` an OAuth
access token. The server's SITE_URL must be the address given (its MRN systems are built from it). Prints
what each step got back; exits 1 at the first step that does not hold.
"""

import argparse
import sys
from datetime import datetime, timedelta

from fhirpy import SyncFHIRClient


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}")
        sys.exit(1)


def run(base, authorization, mrn):
    client = SyncFHIRClient(base, authorization=authorization)
    site = base.split("/fhir/")[0]

    organization = client.resources("Organization").first()
    check(organization is not None, "the caller belongs to no clinic (Organization search is empty)")
    print(f"Organization/{organization.id}: {organization['name']}")

    system = f"{site}/fhir/sid/clinic/{organization.id}/mrn"
    patient = client.resource(
        "Patient",
        identifier=[{"system": system, "value": mrn}],
        name=[{"family": "Núñez", "given": ["José"]}],
        birthDate="1948-07-14",
        telecom=[{"system": "phone", "value": "+12025550140", "use": "mobile", "rank": 1}],
        managingOrganization={"reference": f"Organization/{organization.id}"},
    )
    patient.save()  # fhirpy's own create: POST Patient
    print(f"created Patient/{patient.id} version {patient['meta']['versionId']} ({patient['name'][0]['given'][0]} "
          f"{patient['name'][0]['family']})")
    again = client.resources("Patient").search(identifier=f"{system}|{mrn}").fetch()
    check([found.id for found in again] == [patient.id], "searching by the MRN finds the patient once")
    print(f"search identifier={system}|{mrn}: Patient/{again[0].id}")

    bundle = (client.resources("Appointment").search(patient=patient.id).include("Appointment", "patient")
              .sort("-date").fetch_raw())
    matches = [entry["resource"] for entry in bundle["entry"] if entry["search"]["mode"] == "match"]
    included = [entry["resource"] for entry in bundle["entry"] if entry["search"]["mode"] == "include"]
    check(len(matches) == 2, f"two appointments planned at enrolment (got {len(matches)})")
    check([r["id"] for r in included] == [patient.id], "_include=Appointment:patient brings the patient once")
    starts = [r["start"] for r in matches]
    check(starts == sorted(starts, reverse=True), "_sort=-date puts the latest first")
    for appointment in matches:
        print(f"  Appointment/{appointment['id']} {appointment['status']} {appointment['start']} "
              f"({appointment['serviceType'][0]['text']})")
    print(f"  + included Patient/{included[0]['id']}")

    drainage = next(r for r in matches if r["serviceType"][0]["coding"][0]["code"] == "paracentesis")
    moved = client.resource("Appointment", **drainage)
    new_start = (datetime.fromisoformat(drainage["start"].replace("Z", "+00:00")) + timedelta(days=2))
    moved["start"] = new_start.isoformat().replace("+00:00", "Z")
    moved.save()
    print(f"rescheduled Appointment/{moved.id} to {moved['start']}: version {moved['meta']['versionId']}")

    first = client.execute(f"Appointment/{moved.id}/_history/1", method="get")
    check(first["start"] == drainage["start"] and first["meta"]["versionId"] == "1", "vread of version 1 shows the old start")
    print(f"vread Appointment/{moved.id}/_history/1: start {first['start']} (as first planned)")

    esas = f"{base}/CodeSystem/esas-r"
    panel = client.resource(
        "Observation", status="final", subject={"reference": f"Patient/{patient.id}"},
        code={"coding": [{"system": "http://loinc.org", "code": "112503-8"}]},
        component=[{"code": {"coding": [{"system": esas, "code": item}]}, "valueInteger": score}
                   for item, score in (("pain", 8), ("nausea", 2), ("anxiety", 4))],
    )
    panel.save()  # POST Observation: one symptom report, through the alert rules
    scores = ", ".join(f"{c['code']['coding'][0]['code']} {c['valueInteger']}" for c in panel["component"])
    print(f"created Observation/{panel.id} version {panel['meta']['versionId']} ({scores})")
    found = client.resources("Observation").search(patient=patient.id, code="http://loinc.org|112503-8").fetch()
    check([observation.id for observation in found] == [panel.id], "the panel is found by its LOINC code")
    pain = client.resources("Observation").search(patient=patient.id, code="pain").fetch()
    check([observation["valueInteger"] for observation in pain] == [8], "its pain score is an Observation of its own")
    print(f"search Observation code=http://loinc.org|112503-8: {found[0].id}; code=pain: {pain[0].id} = {pain[0]['valueInteger']}")
    print("OK")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000/fhir/R4")
    credentials = parser.add_mutually_exclusive_group(required=True)
    credentials.add_argument("--token", help="a staff member's API token")
    credentials.add_argument("--bearer", help="an OAuth 2.0 access token")
    parser.add_argument("--mrn", default=f"FP-{datetime.now():%H%M%S}", help="the new patient's MRN")
    options = parser.parse_args(argv)
    run(options.base.rstrip("/"), f"Token {options.token}" if options.token else f"Bearer {options.bearer}", options.mrn)


if __name__ == "__main__":
    main()

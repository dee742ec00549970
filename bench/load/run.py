"""Load test: 50 users on the nurse worklist and the patient symptom form, against gunicorn and PostgreSQL.

    .venv/bin/python bench/load/run.py [--users 50] [--run-time 60] [--patients 1000] [--links 3000]
                                       [--wait-min 1 --wait-max 2] [--workers N]

Starts, all on 127.0.0.1: a throwaway PostgreSQL and Redis (scripts/services.py); migrates; fills the
database with `manage.py seed_demo --patients N --force`; collects static files; issues --links
symptom-form links with followup.symptom_links.issue_link; starts gunicorn with deploy/gunicorn.conf.py
in production settings (DEBUG=false, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1); then runs locust
headless for --run-time seconds (bench/load/locustfile.py):

  - nurses (3 in 5 users) sign in once as `nurse` or `nurse2` and reload the worklist;
  - patients (2 in 5) open a symptom form from its link; one in ten fills it in and sends it, then
    sees the thank-you page.

Each user waits --wait-min to --wait-max seconds between requests (0 and 0 for a flat-out run). Prints
requests per second, median and 95th percentile latency, and errors, per page and overall, counted from
the moment all users are running (locust --reset-stats). Exits 1 if any request failed.

    .venv/bin/python bench/load/run.py --compare 982e7fd [other options]

runs the same load (this tree's locustfile, the same options) twice, one after the other: first against
a copy of commit REF (`git archive`, in a temporary folder; its own fresh database, seeded by its own
seed_demo), then against the working tree, and prints both tables and the ratio of each figure (this
tree / REF). Machines here are noisy: compare side by side rather than with figures from another day.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))

from scripts.services import free_port, postgres_server, redis_server, wait_for_port  # noqa: E402

BIN = Path(sys.executable).parent


def manage(*args, env, code_dir=BASE_DIR):
    subprocess.run([sys.executable, "manage.py", *args], cwd=code_dir, env=env, check=True)


# Run by `manage.py shell` in the code under test (this tree or REF's copy), so the links are signed
# and stored by that code. Planner statistics follow, as autovacuum would gather them on a live database
# (without them the worklist's queries take 5x longer on freshly loaded tables).
ISSUE_LINKS = """
import json
from django.db import connection
from followup.models import Patient
from followup.symptom_links import issue_link

patients = list(Patient.objects.filter(status=Patient.Status.ACTIVE).order_by("pk"))
links = ["/" + issue_link(patients[i % len(patients)]).split("://", 1)[1].split("/", 1)[1] for i in range({count})]
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
with open({out!r}, "w") as handle:
    json.dump({{"links": links, "patients": len(patients)}}, handle)
"""


def issue_links(code_dir, count, out, env):
    """`count` links, spread over the active patients of both clinics: paths only, the host comes from locust."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", ISSUE_LINKS.format(count=count, out=str(out))],
                   cwd=code_dir, env=env, check=True)
    found = json.loads(Path(out).read_text())
    return found["links"], found["patients"]


def warm_up(port, links):
    """A few requests per worker first, so the figures are not those of workers still loading templates."""
    import urllib.request

    for path in ["/login/"] * 20 + links:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()


def read_stats(prefix):
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", type=int, default=60, help="seconds of load, after which locust stops")
    parser.add_argument("--patients", type=int, default=1000, help="seed_demo --patients")
    parser.add_argument("--links", type=int, default=3000, help="symptom-form links issued before the run")
    parser.add_argument("--wait-min", type=float, default=1.0)
    parser.add_argument("--wait-max", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--compare", metavar="REF", help="run the same load against commit REF first, then this tree")
    return parser.parse_args()


def checkout(ref, folder):
    """A copy of commit `ref`'s files in `folder` (git archive: the repository itself is left alone)."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=BASE_DIR, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_once(code_dir, args, label):
    """Seed, serve and load `code_dir`'s code; return (rows of locust's stats, work folder)."""
    work = Path(tempfile.mkdtemp(prefix=f"followup-load-{label}-"))
    # The production settings, with the collected static files in the run's own folder, not the work tree.
    (work / "load_settings.py").write_text(
        f"from config.settings import *  # noqa: F403\n\nSTATIC_ROOT = {str(work / 'static')!r}\n")
    port = free_port()
    with postgres_server() as database_url, redis_server() as redis_url:
        if database_url is None:
            sys.exit("PostgreSQL binaries not found: the load test runs against PostgreSQL.")
        env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "load_settings", "PYTHONPATH": os.pathsep.join([str(work), str(code_dir)]),
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"https://127.0.0.1:{port}", "LOG_LEVEL": "WARNING", "GUNICORN_BIND": f"127.0.0.1:{port}",
            # Production refuses the console backends; nothing here goes to a real phone or mailbox.
            "SMS_BACKEND": "followup.messaging.backends.file.SmsBackend", "SMS_FILE_PATH": str(work / "sms.jsonl"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "VOICE_BACKEND": "followup.voice.backends.FileVoiceBackend", "VOICE_FILE_PATH": str(work / "calls.jsonl"),
        }
        if args.workers:
            env["WEB_CONCURRENCY"] = str(args.workers)

        started = time.monotonic()
        manage("migrate", "--verbosity", "0", env=env, code_dir=code_dir)
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env, code_dir=code_dir)
        with open(work / "seed_demo.log", "w") as log:
            subprocess.run([sys.executable, "manage.py", "seed_demo", "--patients", str(args.patients), "--force"],
                           cwd=code_dir, env=env, check=True, stdout=log)
        seeded = time.monotonic()
        links, patients = issue_links(code_dir, args.links, work / "issued.json", env)
        links_file = work / "links.json"
        links_file.write_text(json.dumps(links))
        print(f"[{label}] prepared in {time.monotonic() - started:.0f} s (seed_demo {seeded - started:.0f} s): {patients} "
              f"active patients, {len(links)} symptom-form links", flush=True)

        with open(work / "gunicorn.log", "w") as log:
            gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
                                        cwd=code_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(port, 60)
            warm_up(port, links[-20:])
            prefix = str(work / "locust")
            command = [
                str(BIN / "locust"), "-f", str(BASE_DIR / "bench" / "load" / "locustfile.py"), "--headless",
                "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.run_time}s",
                "--stop-timeout", "10", "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary",
                "--loglevel", "WARNING",
                # The figures start once every user is running: the sign-ins (a deliberately slow password
                # hash each, all within the first seconds) are not what a nurse waits for during the day.
                "--reset-stats",
            ]
            locust_env = {**env, "FOLLOWUP_LINKS_FILE": str(links_file), "FOLLOWUP_WAIT_MIN": str(args.wait_min),
                          "FOLLOWUP_WAIT_MAX": str(args.wait_max)}
            with open(work / "locust.log", "w") as log:
                # check=False: locust exits 1 when a request failed, and the figures below say which.
                subprocess.run(command, cwd=BASE_DIR, env=locust_env, stdout=log, stderr=subprocess.STDOUT,
                               timeout=args.run_time + 120, check=False)
        finally:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(30)
    return read_stats(prefix), work, env.get("WEB_CONCURRENCY")


def print_table(label, rows, work):
    print(f"\n{label}")
    print(f"{'page':<22}{'requests':>10}{'errors':>8}{'req/s':>9}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
    for row in rows:
        name = "ALL" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{name:<22}{row['Request Count']:>10}{row['Failure Count']:>8}{float(row['Requests/s']):>9.1f}"
              f"{row['50%']:>11}{row['95%']:>9}{float(row['Max Response Time']):>9.0f}")
    failures_file = work / "locust_failures.csv"
    if failures_file.exists():
        with open(failures_file, newline="") as handle:
            for failure in csv.DictReader(handle):
                print(f"  error: {failure['Name']}: {failure['Error']} x{failure['Occurrences']}")
    print(f"(logs and CSV in {work})")


def print_ratios(before, after):
    """This tree's figures over REF's, per page: above 1 for req/s is better, below 1 for times."""
    print("\nratio, this tree / REF (req/s: higher is better; times: lower is better)")
    print(f"{'page':<22}{'req/s':>9}{'median':>9}{'p95':>9}")
    old = {row["Name"]: row for row in before}
    for row in after:
        if row["Name"] not in old:
            continue
        ref = old[row["Name"]]

        def ratio(key):
            base = float(ref[key])
            return f"{float(row[key]) / base:.2f}" if base else "-"

        name = "ALL" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{name:<22}{ratio('Requests/s'):>9}{ratio('50%'):>9}{ratio('95%'):>9}")


def main():
    args = parse_arguments()
    runs = []
    if args.compare:
        ref_dir = checkout(args.compare, Path(tempfile.mkdtemp(prefix="followup-ref-")) / "code")
        runs.append((f"REF {args.compare}", *run_once(ref_dir, args, "ref")))
    runs.append(("this tree", *run_once(BASE_DIR, args, "tree")))

    workers = runs[-1][3] or f"{os.cpu_count() * 2 + 1} (2 x cores + 1)"
    print(f"\n{args.users} users for {args.run_time} s, waiting {args.wait_min:g}-{args.wait_max:g} s between requests; "
          f"gunicorn {workers} sync workers; PostgreSQL; {os.cpu_count()} cores shared by all")
    print("(figures from the moment all users are running; the sign-ins before it are not counted)")
    for label, rows, work, _ in runs:
        print_table(label, rows, work)
    if len(runs) == 2:
        print_ratios(runs[0][1], runs[1][1])
    failed = sum(int(next(row for row in rows if row["Name"] == "Aggregated")["Failure Count"]) for _, rows, _, _ in runs)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

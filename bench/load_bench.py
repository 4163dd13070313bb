"""Load benchmark: concurrent users against gunicorn on loopback, as the web unit runs it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/load_bench.py [--db ih_bench_load] [--extra-rows 100000] \\
        [--users 20] [--requests 400] [--seconds 60] [--fresh]

Creates its own database (default ih_bench_load, on the server of DATABASE_URL), migrates it,
loads the demo company (`seed_demo`) and `--extra-rows` more inquiries (COPY, as
bench/list_bench.py), once: later runs reuse them unless --fresh. Then collects the static files
into a temporary folder and starts gunicorn with the documented settings: the ExecStart line of
deploy/systemd/inquiryhub-web.service (3 sync workers, timeout 60), DEBUG off, bound to
127.0.0.1 on a free port. Nothing listens beyond loopback.

Each scenario logs `--users` demo users in (each its own session), then each user requests its
page in a loop, one request at a time, until `--requests` requests in all or `--seconds` have
passed, whichever first: the run is bounded in count and in time. Reported per scenario: the
requests, errors (any status but 200), throughput, and the latency p50 / p95 / max seen by the
client (connection, server, transfer). The client runs on the same machine: its threads take CPU
from the server, as in the probe of issue 13. The machine is printed first, for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.list_bench import ensure_database, load, percentile, server_url  # noqa: E402

DEMO_PASSWORD = "inquiryhub-demo-2026"  # noqa: S105 - published in the README, demo users only
# (label, demo user, path): the pages of the probe.
SCENARIOS = [
    ("inquiry list, operations manager (all inquiries)", "opsmgr", "/inquiries/"),
    ("inquiry list, salesperson (her own)", "chenjing", "/inquiries/"),
    ("unassigned queue, operations", "ops", "/inquiries/queue/"),
    ("monthly report, stored (boss)", "boss", "/reports/"),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ih_bench_load")
    parser.add_argument("--extra-rows", type=int, default=100_000, help="inquiries added to the demo company")
    parser.add_argument("--users", type=int, default=20, help="concurrent users per scenario")
    parser.add_argument("--requests", type=int, default=400, help="at most this many requests per scenario")
    parser.add_argument("--seconds", type=float, default=60, help="at most this long per scenario")
    parser.add_argument("--only", help="run the scenarios whose label contains this text")
    parser.add_argument("--fresh", action="store_true", help="drop and reload the bench database")
    args = parser.parse_args()
    if not (1 <= args.users <= 100 and 1 <= args.requests <= 10_000 and 0 < args.seconds <= 600):
        parser.error("bounded: 1-100 users, 1-10,000 requests, up to 600 seconds per scenario")
    return args


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    load1, load5, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({cpu.group(1) if cpu else platform.processor()}), "
        f"{int(memory.group(1)) / 1024 / 1024:.1f} GB RAM, Python {platform.python_version()}, "
        f"load average {load1:.2f} / {load5:.2f} (1 / 5 min) at the start"
    )


def prepare(db_url: str, extra_rows: int) -> str:
    """The bench database, filled once; returns a one-line description."""
    env = dict(os.environ, DATABASE_URL=db_url, DJANGO_DEBUG="1")
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--if-empty"], cwd=ROOT, env=env, check=True)
    os.environ.update(DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="inquiryhub.settings", DJANGO_DEBUG="1")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from inquiries.models import Inquiry

    if extra_rows and not User.objects.filter(username="bench-ops").exists():
        print(f"Loading {extra_rows:,} more inquiries …", flush=True)
        load(extra_rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    description = f"{Inquiry.objects.count():,} inquiries, PostgreSQL {connection.pg_version // 10000}"
    connection.close()
    return description


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(db_url: str, static_root: str) -> tuple[subprocess.Popen, int, str]:
    unit = (ROOT / "deploy" / "systemd" / "inquiryhub-web.service").read_text()
    exec_start = shlex.split(re.search(r"^ExecStart=(.*)$", unit, flags=re.M).group(1))
    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn")] + [
        f"127.0.0.1:{port}" if arg == "127.0.0.1:8000" else arg for arg in exec_start[1:]
    ]
    command = [arg for arg in command if arg not in ("--access-logfile", "-")]  # no per-request log
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": db_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "STATIC_ROOT": static_root,
        "INQUIRYHUB_VAR_DIR": static_root,
        # Many logins from one address are the bench, not an attack.
        "AXES_FAILURE_LIMIT": "1000",
    }
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port, " ".join(command[1:])
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not start")


class User:
    """One browser: its own cookies, one request at a time."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response.status, content

    def log_in(self, username: str) -> None:
        _status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": DEMO_PASSWORD}
        )
        if status != 302:
            sys.exit(f"could not log in as {username}: {status}")


def run_scenario(port: int, username: str, path: str, *, users: int, requests: int, seconds: float) -> dict:
    browsers = [User(port) for _ in range(users)]
    for browser in browsers:
        browser.log_in(username)
        browser.request("GET", path)  # warm-up, not counted
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    budget = iter(range(requests))
    deadline = time.monotonic() + seconds

    def work(browser: User):
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    return
            started = time.perf_counter()
            status, _ = browser.request("GET", path)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "max": max(latencies) * 1000,
    }


def main() -> None:
    args = parse_args()
    admin_url, db_url = server_url(args.db)
    ensure_database(admin_url, args.db, args.fresh)
    print(f"Machine: {machine()}", flush=True)
    print(f"Database {args.db}: {prepare(db_url, args.extra_rows)}", flush=True)
    with tempfile.TemporaryDirectory() as static_root:
        server, port, command = start_gunicorn(db_url, static_root)
        try:
            print(f"gunicorn {command}", flush=True)
            print(f"{args.users} users per scenario; at most {args.requests} requests or {args.seconds:g} s each\n")
            print("| page | users | requests | errors | req/s | p50 ms | p95 ms | max ms |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for label, username, path in SCENARIOS:
                if args.only and args.only not in label:
                    continue
                r = run_scenario(port, username, path, users=args.users, requests=args.requests, seconds=args.seconds)
                print(
                    f"| {label} | {args.users} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | "
                    f"{r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(30)
    load1, load5, _ = os.getloadavg()
    print(f"\nload average at the end: {load1:.2f} / {load5:.2f}")


if __name__ == "__main__":
    main()

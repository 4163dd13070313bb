"""How long `manage.py seed_demo` takes on a fresh database, and a second time (nothing to do).

Run: .venv/bin/python bench/seed_demo.py            (a throwaway SQLite file)
     DATABASE_URL=postgres://... .venv/bin/python bench/seed_demo.py   (that database, must be empty)
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args, env):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stderr)
    return time.monotonic() - started, result.stdout


def main():
    env = dict(os.environ, DJANGO_DEBUG="1")
    with tempfile.TemporaryDirectory() as folder:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
            env.pop("REDIS_URL", None)
        vendor = env["DATABASE_URL"].split(":", 1)[0]
        run(["migrate", "--no-input", "-v0"], env)
        first, out = run(["seed_demo"], env)
        second, _ = run(["seed_demo"], env)
    print(f"database: {vendor}")
    print(f"seed_demo, empty database: {first:.1f} s wall (process start and Django set-up included)")
    print(f"seed_demo, second run:     {second:.1f} s wall")
    print(out.split("\n\n")[0])


if __name__ == "__main__":
    main()

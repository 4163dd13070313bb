"""Serve the dashboard on a laptop with a Celery worker and beat beside it.

The worker runs with an embedded beat (-B) on whatever broker the settings name: Redis when
REDIS_URL is set, kombu's filesystem transport otherwise. Ctrl-C stops all of it.
"""

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development server with a Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Serve pages only.")

    def handle(self, *args, addrport, no_worker, **options):
        worker = None
        if not no_worker:
            celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
            worker = subprocess.Popen(
                [celery, "-A", "inquiryhub", "worker", "-B", "--loglevel=INFO", "--concurrency=2",
                 "-Q", ",".join(settings.CELERY_WORKER_QUEUES),
                 "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
                cwd=settings.BASE_DIR,
            )  # fmt: skip
            self.stdout.write(self.style.SUCCESS(f"Celery worker and beat started (pid {worker.pid})."))
        # A plain `kill` (SIGTERM) stops the worker too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()

"""The Celery application: configuration comes from Django settings (CELERY_*)."""

import logging.config
import os

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")

app = Celery("inquiryhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs):
    """The worker and beat log as the web process does (settings.LOGGING), not with Celery's own setup."""
    logging.config.dictConfig(settings.LOGGING)

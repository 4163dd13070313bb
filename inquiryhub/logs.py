"""Logging filters that keep the log readable: one line per refused request, no routine heartbeat."""

import logging

# The beat schedule's minutely jobs: the heartbeat (/healthz reads its result) and the chat outbox's
# sweep; the log needs none of their routine lines.
ROUTINE_TASKS = ("inquiryhub.heartbeat", "accounts.notify_sweep")


class RefusedRequestFilter(logging.Filter):
    """A 4xx is an ordinary answer (a wrong role, a missing page): its line without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class DevServerFilter(logging.Filter):
    """runserver's own line for a 4xx/5xx repeats the line django.request wrote with its reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = record.args[1] if isinstance(record.args, tuple) and len(record.args) > 1 else None
        return not (isinstance(status, str) and status[:1] in {"4", "5"})


class RoutineTaskFilter(logging.Filter):
    """Drops the received/sent/succeeded lines of the routine tasks; their failures still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        return not any(name in message for name in ROUTINE_TASKS)

"""One-time form tokens: a form posted twice is written once."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from ..models import (
    FormSubmission,
)


class AlreadySubmitted(Exception):
    """The same form was submitted before: what it asked for is already done."""


def form_submission_claim(*, user: User, token: uuid.UUID) -> FormSubmission:
    """Spend a form's one-time token, or raise AlreadySubmitted when it was spent before.

    Call it inside the transaction that does the form's work, so that a failed write gives the
    token back. A second request racing the first waits on the unique index, then fails here.
    """
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, user=user)
    except IntegrityError:
        raise AlreadySubmitted from None


def form_submissions_purge(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget tokens too old for anyone to resubmit their form; returns how many went."""
    deleted, _rows = FormSubmission.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted

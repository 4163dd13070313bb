"""What the inquiries app's forms share: the date widgets, the one-time token, the clock check."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    Inquiry,
)

# The clock of a phone may run a little ahead of the server's.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class DateTimeLocalInput(forms.DateTimeInput):
    """The phone's own date-and-time picker; the value is read in the company's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def company_time_help() -> str:
    return _("Company time (%(zone)s)") % {"zone": settings.TIME_ZONE}


class OneTimeForm(forms.Form):
    """A form carrying a one-time token, so that submitting it twice writes once."""

    submission = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form is out of date. Please reload the page and try again."),
            "invalid": _("This form is out of date. Please reload the page and try again."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())


class NotInTheFutureMixin:
    def _not_in_the_future(self, value: dt.datetime | None, message) -> dt.datetime | None:
        now = timezone.now()
        if value is not None and value > now + CLOCK_TOLERANCE:
            raise ValidationError(message, code="future")
        # The field shows minutes only: "this minute" (or a phone's clock running ahead) means now,
        # so that what was just done sorts after what happened earlier in the same minute.
        if value is not None and value > now - dt.timedelta(minutes=1):
            return now
        return value

    def _not_before_arrival(self, value: dt.datetime | None, inquiry: Inquiry | None, message):
        if value is not None and inquiry is not None and value < inquiry.received_at:
            raise ValidationError(message, code="before_arrival")
        return value

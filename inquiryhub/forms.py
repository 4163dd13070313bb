"""What the apps' forms share."""

from django.contrib import messages


def form_errors_to_messages(request, form, *, prefix: str = "") -> None:
    """Each error of an invalid form as an error message on the next page (forms posted from a list)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"{prefix}{error}" if prefix else error)

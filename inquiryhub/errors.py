"""The error pages (400, 403, 404, 500) in the app's layout and language, each saying what to do next.

Django's own handlers answer with a bare English page, and under DEBUG a 404 shows the URL list;
the demo runs under DEBUG, so the middleware below answers a 404 with the same page there too.
"""

import logging

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _explanations() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("The request could not be understood"),
            _("The page received something it cannot read. Go back, reload the page and try again."),
        ),
        403: (
            _("This page is not open to you"),
            _(
                "Your role does not allow this page or action. If you need it, ask your operations manager; "
                "if you were logged out, log in again."
            ),
        ),
        404: (
            _("Page not found"),
            _(
                "There is no such page, or what it shows is not yours to see. Check the address, or start "
                "again from the start page."
            ),
        ),
        500: (
            _("Something went wrong on our side"),
            _(
                "The error has been logged. Try again in a minute; if it happens again, tell your operations "
                "manager what you were doing."
            ),
        ),
    }


def error_page(request, status: int) -> HttpResponse:
    """The page for one error status, rendered with the request (header, language, user)."""
    title, explanation = _explanations()[status]
    context = {"error": {"status": status, "title": title, "explanation": explanation}}
    try:
        content = render_to_string("errors/error_page.html", context, request=request)
    except Exception:  # noqa: BLE001 - a 500 page must not fail on what failed the request (say, the database)
        logger.exception("The %s page could not be rendered with the request", status)
        content = render_to_string("errors/error_page.html", context)
    return HttpResponse(content, status=status)


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403)


def page_not_found(request, exception=None):
    return error_page(request, 404)


def server_error(request):
    return error_page(request, 500)


def csrf_failure(request, reason=""):
    return error_page(request, 403)


class NotFoundPageMiddleware:
    """Answers a 404 with the app's page even under DEBUG, where Django would show its URL list."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return page_not_found(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None

"""The report as JSON for boss and operations (ATTRIBUTION.md §7). The HTML report page lives elsewhere."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..forms import ReportParamsForm
from ..selectors import report_payload
from ..services import monthly_report_get

# Query-string names; the command line's hyphenated spellings are accepted too.
QUERY_PARAMS = {"baseline", "as_of", "window_days", "account", "salesperson"}


def readers_only_else_404(view):
    """Boss and operations only. Unlike `reader_required` (403), a salesperson gets 404: the
    contract does not let a salesperson learn that the company report exists."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.reads_everything:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@readers_only_else_404
def month_json(request, month: str):
    """/reports/YYYY-MM.json?baseline=&as_of=&window_days=&account=|salesperson= → the §7 object."""
    data = {"month": month}
    for name, value in request.GET.items():
        key = name.replace("-", "_")
        if key not in QUERY_PARAMS:
            return _bad_request(_("Unknown parameter %(name)s.") % {"name": name})
        data[key] = value
    form = ReportParamsForm(data=data)
    if not form.is_valid():
        return _bad_request(form.first_error(), form.errors.get_json_data())
    params = form.cleaned_data
    report = monthly_report_get(
        month=params["month"],
        baseline=params["baseline"],
        scope=params["scope"],
        window_days=params["window_days"],
        as_of=params["as_of"],
        by=request.user,
    )
    return JsonResponse(report_payload(report, language=get_language()), json_dumps_params={"ensure_ascii": False})


def _bad_request(message: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": message, "errors": errors or {}}, status=400, json_dumps_params={"ensure_ascii": False}
    )

"""The inquiries behind a figure of the report: every linked count opens a list of exactly that many."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from accounts.models import Account, User
from inquiries.selectors import inquiry_list_rows
from inquiries.tables import InquiryTable

from ..forms import DrilldownForm
from ..periods import ReportParamError
from ..presentation import stage_labels
from ..selectors import cohort_inquiries, rfq_quotes_behind
from ..tables import RfqQuoteReportTable
from .monthly import _month_or_404

PER_PAGE = 50


@require_GET
@login_required
def cohort_list(request, month: str):
    """/reports/YYYY-MM/inquiries/?as_of=&window_days=&stage=&account=&owner=&rfq=&kind=

    Boss and operations see any figure's inquiries; a salesperson only their own (owner = them),
    the figures of "my month". Anything else is 404, as for an inquiry they may not see.
    """
    month_date = _month_or_404(month)
    form = DrilldownForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/drilldown.html", {"form": form, "month": month_date}, status=400)
    params = form.cleaned_data
    user = request.user
    if not user.reads_everything and params["owner"] != user.pk:
        raise Http404
    account, owner = _account_and_owner_or_404(params)
    if params["kind"] == "quotes":
        table, what = _quotes_table(month_date, params, account=account, owner=owner)
    else:
        table, what = _inquiries_table(month_date, params, account=account)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = {
        "form": form,
        "month": month_date,
        "table": table,
        "count": table.paginator.count,
        "what": what,
        "as_of": params["as_of"],
        "account": account,
        "owner": owner,
        "unassigned": params["owner"] == "none",
        "window_days": params["window_days"],
    }
    return render(request, "reports/drilldown.html", context)


def _account_and_owner_or_404(params: dict) -> tuple[Account | None, User | None]:
    """The account and salesperson the figure is filtered on, if any; 404 for one that does not exist."""
    account = Account.objects.filter(pk=params["account"]).first() if params["account"] else None
    if params["account"] and account is None:
        raise Http404
    owner = None
    if isinstance(params["owner"], int):
        owner = User.objects.filter(pk=params["owner"]).first()
        if owner is None:
            raise Http404
    return account, owner


def _quotes_table(month_date, params: dict, *, account, owner):
    qs = rfq_quotes_behind(
        month=month_date,
        as_of=params["as_of"],
        salesperson_id=owner.pk if owner else None,
        account_id=account.pk if account else None,
    )
    if params["owner"] == "none":
        qs = qs.none()  # every quote has its salesperson: the unassigned row has none
    return RfqQuoteReportTable(qs), _("RFQ quotes")


def _inquiries_table(month_date, params: dict, *, account):
    try:
        qs = cohort_inquiries(
            month=month_date,
            as_of=params["as_of"],
            window_days=params["window_days"],
            stage=params["stage"],
            account_id=account.pk if account else None,
            owner=params["owner"],
            rfq=params["rfq"],
        )
    except ReportParamError:
        raise Http404 from None
    table = InquiryTable(inquiry_list_rows(qs.order_by("-received_at", "-id")))
    what = stage_labels()[params["stage"]]
    if params["rfq"]:
        what = _("RFQ inquiries") if params["stage"] == "inquiries" else _("RFQ inquiries won")
    return table, what

"""Operations' workbench: the unassigned queue, allocation, reassignment, quality disputes,
allocation rules, and exports of the list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Account, User
from accounts.permissions import operations_required, ops_manager_required
from accounts.services import account_current_holder
from inquiryhub.forms import form_errors_to_messages

from .. import services
from ..buyers import buyers_held_elsewhere
from ..exports import export_path
from ..filters import QueueFilter, filtered_inquiries, inquiry_filter_for
from ..forms import (
    AllocateForm,
    AllocationRuleForm,
    DisputeDecisionForm,
    HandOverConfirmForm,
    ReassignForm,
    RouteFormSet,
)
from ..models import AllocationRule, InquiryExport
from ..rules import WHY_MANUAL, WHY_NOBODY
from ..selectors import (
    allocation_backlog,
    allocation_rules_overview,
    allocation_rules_preview,
    allocations_today,
    capped_count,
    disputes_queue,
    get_inquiry_for_user,
    inquiry_exports_for_user,
    open_inquiries_of_holder,
    salespeople_conversion,
    unassigned_queue,
)
from ..tables import QueueTable
from .browse import list_page_context

# Exports up to this many rows are written while the user waits; larger ones by a background job.
EXPORT_INLINE_MAX = 2000
# The backlog the rules are applied to at once, oldest first.
BACKLOG_LIMIT = 2000


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return fallback


@operations_required
def queue(request):
    """The unassigned queue, oldest first with each row's age: operations' landing page."""
    filterset = QueueFilter(request.GET or None, queryset=unassigned_queue(request.user), user=request.user)
    context = list_page_context(request, filterset=filterset, table_class=QueueTable, view="queue")
    return render(request, "inquiries/queue.html", context)


# ---------------------------------------------------------------------------------------------
# Allocation


def _list_url(view: str, query: str) -> str:
    url = reverse("inquiries:queue" if view == "queue" else "inquiries:list")
    return f"{url}?{query}" if query else url


def _warn_buyers_held_elsewhere(request, inquiries, salesperson) -> None:
    """No 撞单 unnoticed: name who holds the buyer of an inquiry just given to someone else."""
    held = buyers_held_elsewhere(inquiries, salesperson)
    if held:
        shown = ", ".join(
            _("%(inquiry)s (buyer held by %(name)s)") % {"inquiry": i.external_id, "name": holder.label}
            for i, holder in held[:10]
        )
        messages.warning(
            request,
            _("These buyers belong to another salesperson; check with them to avoid 撞单: %(list)s") % {"list": shown},
        )


def _report_outcome(request, outcome, salesperson, *, seen_count=None) -> None:
    n = len(outcome.allocated)
    _warn_buyers_held_elsewhere(request, outcome.allocated, salesperson)
    if n:
        messages.success(
            request,
            ngettext(
                "%(n)d inquiry allocated to %(name)s.",
                "%(n)d inquiries allocated to %(name)s.",
                n,
            )
            % {"n": n, "name": salesperson.label},
        )
    if outcome.conflicts:
        shown = ", ".join(
            _("%(inquiry)s (now %(owner)s)")
            % {"inquiry": i.external_id, "owner": owner.label if owner else _("unassigned")}
            for i, owner in outcome.conflicts[:10]
        )
        more = len(outcome.conflicts) - 10
        messages.error(
            request,
            ngettext(
                "%(n)d inquiry was allocated by someone else while you were looking, and was left as they set it: "
                "%(list)s",
                "%(n)d inquiries were allocated by someone else while you were looking, and were left as they set "
                "them: %(list)s",
                len(outcome.conflicts),
            )
            % {"n": len(outcome.conflicts), "list": shown + (f" … +{more}" if more > 0 else "")},
        )
    if outcome.unchanged:
        messages.info(
            request,
            ngettext(
                "%(n)d inquiry already belonged to %(name)s.",
                "%(n)d inquiries already belonged to %(name)s.",
                len(outcome.unchanged),
            )
            % {"n": len(outcome.unchanged), "name": salesperson.label},
        )
    handled = n + len(outcome.conflicts) + len(outcome.unchanged)
    if seen_count is not None and handled < seen_count:
        messages.warning(
            request,
            ngettext(
                "%(n)d inquiry you saw no longer matches the filter: someone changed it meanwhile.",
                "%(n)d inquiries you saw no longer match the filter: someone changed them meanwhile.",
                seen_count - handled,
            )
            % {"n": seen_count - handled},
        )
    if not handled:
        messages.warning(request, _("Nothing was allocated."))


@operations_required
@require_POST
def allocate(request):
    """Allocate the ticked rows (or all matching the filter) to one salesperson, with a reason."""
    form = AllocateForm(request.POST)
    view, query = request.POST.get("view", "list"), request.POST.get("query", "")
    back = _list_url(view, query)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(back)
    data = form.cleaned_data
    salesperson, note = data["salesperson"], data["note"]
    try:
        if data["all_matching"]:
            base = unassigned_queue(request.user) if view == "queue" else None
            filterset = (
                QueueFilter(QueryDict(query) or None, queryset=base, user=request.user)
                if view == "queue"
                else inquiry_filter_for(request.user, query)
            )
            outcome = services.inquiries_allocate_matching(
                queryset=filtered_inquiries(filterset),
                seen_at=data["seen_at"],
                salesperson=salesperson,
                by=request.user,
                note=note,
            )
            _report_outcome(request, outcome, salesperson, seen_count=data.get("seen_count"))
        else:
            outcome = services.inquiries_allocate_checked(
                expected_owners=data["expected_owners"], salesperson=salesperson, by=request.user, note=note
            )
            _report_outcome(request, outcome, salesperson)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    request.session["last_allocation_reason"] = note
    return redirect(back)


@operations_required
@require_POST
def reassign(request, pk: int):
    """Give one inquiry to another salesperson from its page."""
    inquiry = get_inquiry_for_user(request.user, pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(inquiry)
    salesperson = form.cleaned_data["salesperson"]
    try:
        outcome = services.inquiries_allocate_checked(
            expected_owners={inquiry.pk: form.cleaned_data["expected_owner"]},
            salesperson=salesperson,
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(inquiry)
    if outcome.conflicts:
        _inquiry, owner = outcome.conflicts[0]
        messages.error(
            request,
            _("Someone else changed this inquiry's salesperson to %(owner)s while you were looking; nothing changed.")
            % {"owner": owner.label if owner else _("unassigned")},
        )
    elif outcome.unchanged:
        messages.info(request, _("This inquiry already belongs to %(name)s.") % {"name": salesperson.label})
    else:
        messages.success(request, _("Reallocated to %(name)s.") % {"name": salesperson.label})
        _warn_buyers_held_elsewhere(request, outcome.allocated, salesperson)
        request.session["last_allocation_reason"] = form.cleaned_data["note"]
    return redirect(inquiry)


# ---------------------------------------------------------------------------------------------
# Quality disputes


@operations_required
def disputes(request):
    """Flags waiting for operations' word, oldest first, each with its own decision form."""
    page = Paginator(disputes_queue(), 25).get_page(request.GET.get("page"))
    rows = [
        {
            "inquiry": inquiry,
            "flag": inquiry.sales_flags[-1] if inquiry.sales_flags else None,
            "form": DisputeDecisionForm(prefix=f"d{inquiry.pk}"),
        }
        for inquiry in page.object_list
    ]
    return render(request, "inquiries/disputes.html", {"page": page, "rows": rows})


@operations_required
@require_POST
def decide(request, pk: int):
    """Confirm or overturn a salesperson's invalid flag."""
    inquiry = get_inquiry_for_user(request.user, pk)
    form = DisputeDecisionForm(request.POST, prefix=request.POST.get("prefix") or None)
    back = _safe_next(request, reverse("inquiries:disputes"))
    if not form.is_valid():
        form_errors_to_messages(request, form, prefix=f"{inquiry.external_id}: ")
        return redirect(back)
    confirm = form.cleaned_data["decision"] == DisputeDecisionForm.CONFIRM
    try:
        services.dispute_resolve(inquiry=inquiry, by=request.user, confirm=confirm, note=form.cleaned_data["note"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"{inquiry.external_id}: {message}")
        return redirect(back)
    if confirm:
        messages.success(request, _("%(inquiry)s: flag confirmed, the inquiry is invalid.") % {"inquiry": inquiry})
    else:
        messages.success(request, _("%(inquiry)s: flag overturned, the inquiry is valid.") % {"inquiry": inquiry})
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# Allocation rules


@operations_required
def rules(request):
    """Every account's rule at a glance, the pool's conversion and today's load."""
    accounts = list(allocation_rules_overview())
    people = list(User.objects.active_salespeople().by_name())
    ids = [p.pk for p in people]
    conversion = salespeople_conversion(ids)
    today = allocations_today(ids)
    team = [
        {
            "person": p,
            "won": conversion.get(p.pk, (0, 0))[0],
            "valid": conversion.get(p.pk, (0, 0))[1],
            "today": today.get(p.pk, 0),
        }
        for p in people
    ]
    backlog = capped_count(allocation_backlog(), BACKLOG_LIMIT + 1)
    return render(
        request,
        "inquiries/rules.html",
        {"accounts": accounts, "team": team, "backlog": backlog, "backlog_limit": BACKLOG_LIMIT},
    )


@operations_required
def rule_edit(request, account_pk: int):
    """Set one account's rule: the mode, the pool with capacities, the routes."""
    account = get_object_or_404(Account, pk=account_pk)
    rule = AllocationRule.objects.filter(account=account).first()
    people = User.objects.active_salespeople().by_name()
    if request.method == "POST":
        form = AllocationRuleForm(request.POST, salespeople=people)
        routes = RouteFormSet(request.POST, prefix="routes")
        if form.is_valid() and routes.is_valid():
            try:
                services.allocation_rule_save(
                    account=account,
                    mode=form.cleaned_data["mode"],
                    same_buyer=form.cleaned_data["same_buyer"],
                    reallocate_overdue=form.cleaned_data["reallocate_overdue"],
                    members=[services.RuleMemberInput(p, cap) for p, cap in form.cleaned_data["members"]],
                    routes=[
                        services.RouteInput(
                            f.cleaned_data["kind"], f.cleaned_data["value"], f.cleaned_data["salesperson"]
                        )
                        for f in routes.forms
                        if f.cleaned_data and not f.cleaned_data.get("DELETE")
                    ],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Allocation rule of %(account)s saved.") % {"account": account.code})
                return redirect("inquiries:rules")
    else:
        initial = {"mode": AllocationRule.Mode.MANUAL, "same_buyer": True}
        route_initial = []
        if rule is not None:
            initial = {"mode": rule.mode, "same_buyer": rule.same_buyer, "reallocate_overdue": rule.reallocate_overdue}
            for member in rule.members.all():
                initial[f"member_{member.salesperson_id}"] = True
                initial[f"capacity_{member.salesperson_id}"] = member.daily_capacity
            route_initial = [
                {"kind": r.kind, "value": r.value, "salesperson": r.salesperson_id} for r in rule.routes.all()
            ]
        form = AllocationRuleForm(initial=initial, salespeople=people)
        routes = RouteFormSet(initial=route_initial, prefix="routes")
    return render(request, "inquiries/rule_edit.html", {"account": account, "form": form, "routes": routes})


@operations_required
def rules_preview(request):
    """Who the rules would give each waiting inquiry to; applying it needs the plan unchanged."""
    backlog = list(allocation_backlog().select_related("account")[:BACKLOG_LIMIT])
    if request.method == "POST":
        outcome = services.allocation_rules_apply(
            inquiry_ids=[i.pk for i in backlog], by=request.user, expected_digest=request.POST.get("digest", "")
        )
        if outcome.plan is None:
            messages.info(request, _("Nothing is waiting to be allocated by the rules."))
            return redirect("inquiries:rules")
        if outcome.stale:
            messages.warning(
                request,
                _("Something changed since the preview (new inquiries, allocations or rules). Check the new plan."),
            )
        else:
            messages.success(
                request,
                ngettext(
                    "The rules allocated %(n)d inquiry.", "The rules allocated %(n)d inquiries.", outcome.allocated
                )
                % {"n": outcome.allocated},
            )
            if outcome.unplaced:
                messages.warning(
                    request,
                    ngettext(
                        "%(n)d inquiry found nobody available and stays in the queue.",
                        "%(n)d inquiries found nobody available and stay in the queue.",
                        outcome.unplaced,
                    )
                    % {"n": outcome.unplaced},
                )
            return redirect("inquiries:rules")
        backlog = list(allocation_backlog().select_related("account")[:BACKLOG_LIMIT])
    plan, by_id = allocation_rules_preview(inquiries=backlog)
    people = User.objects.in_bulk({d.salesperson_id for d in plan.placed})
    summary: dict = {}
    for decision in plan.placed:
        summary[decision.salesperson_id] = summary.get(decision.salesperson_id, 0) + 1
    rows = [
        {"inquiry": by_id[d.inquiry_id], "to": people.get(d.salesperson_id), "why": d.why, "detail": d.detail}
        for d in plan.decisions[:200]
    ]
    context = {
        "plan": plan,
        "rows": rows,
        "shown": len(rows),
        "total": len(plan.decisions),
        "limit": BACKLOG_LIMIT,
        "summary": sorted(((people[pid], n) for pid, n in summary.items()), key=lambda x: -x[1]),
        "unplaced": sum(1 for d in plan.decisions if d.why == WHY_NOBODY),
        "manual": sum(1 for d in plan.decisions if d.why == WHY_MANUAL),
    }
    return render(request, "inquiries/rules_preview.html", context)


# ---------------------------------------------------------------------------------------------
# Exports


@login_required
@require_POST
def export(request):
    """Export the list under its current filter: small ones at once, large ones by a job."""
    query, fmt = request.POST.get("query", ""), request.POST.get("format", "")
    back = _list_url("list", query)
    if fmt not in InquiryExport.Format.values:
        messages.error(request, _("Choose Excel or CSV."))
        return redirect(back)
    filterset = inquiry_filter_for(request.user, query)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("The filter has errors: correct them before exporting."))
        return redirect(back)
    inline = capped_count(filterset.qs, EXPORT_INLINE_MAX + 1) <= EXPORT_INLINE_MAX
    job = services.inquiry_export_request(user=request.user, query=query, format=fmt, background=not inline)
    if inline:
        return _file_response(services.inquiry_export_run(export_id=job.pk, notify=False))
    messages.info(
        request,
        _("The export is being written in the background; it will be listed here when ready (you will be notified)."),
    )
    return redirect("inquiries:exports")


def _file_response(job: InquiryExport) -> FileResponse:
    path = export_path(job.file_name)
    if not job.file_name or not path.exists():
        raise Http404("No such export file.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)


@login_required
def exports(request):
    """The user's own exports, with their files once ready."""
    page = Paginator(inquiry_exports_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "inquiries/exports.html", {"page": page})


@login_required
def export_download(request, pk: int):
    """One of the user's own exports (404 for anyone else's)."""
    job = get_object_or_404(inquiry_exports_for_user(request.user), pk=pk, status=InquiryExport.Status.DONE)
    return _file_response(job)


@ops_manager_required
@require_POST
def account_hand_over(request, pk: int):
    """The account page's hand-over, confirmed on a page of its own that says how many open
    inquiries the previous holder has there and lets the manager move them (or not) in the same step."""
    account = get_object_or_404(Account, pk=pk)
    previous = account_current_holder(account)
    open_count = open_inquiries_of_holder(account, previous).count() if previous else 0
    confirming = bool(request.POST.get("confirm"))
    form = HandOverConfirmForm(
        request.POST, prefix="hand", previous=previous, open_count=open_count, confirming=confirming
    )
    if form.is_valid():
        to = form.cleaned_data["to"]
        if previous is not None and to is not None and previous.pk == to.pk:
            messages.info(request, _("%(name)s holds this account already.") % {"name": to.label})
            return redirect("accounts:account_detail", pk=account.pk)
        if confirming:
            try:
                moved = services.account_hand_over_with_inquiries(
                    account=account, to=to, by=request.user, at=form.cleaned_data["at"], move_open=form.move_open
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                done = _("%(account)s handed over to %(to)s.") % {
                    "account": account.code,
                    "to": to.label if to else _("nobody"),
                }
                if moved:
                    done += " " + ngettext(
                        "%(count)d open inquiry moved with it.", "%(count)d open inquiries moved with it.", moved
                    ) % {"count": moved}
                messages.success(request, done)
                return redirect("accounts:account_detail", pk=account.pk)
    context = {"account": account, "previous": previous, "open_count": open_count, "form": form, "tab": "accounts"}
    return render(request, "inquiries/hand_over_confirm.html", context)

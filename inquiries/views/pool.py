"""The public pool (公海) and buyers: the pool list and claims, operations allocating from the
pool, the pool rule's settings, a buyer's page with their whole history, and "My buyers"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Account, Role
from accounts.permissions import operations_required, ops_manager_required, role_required, sales_required
from inquiryhub.forms import form_errors_to_messages

from .. import buyers, pool
from ..forms import BuyerMergeForm, PoolAccountClockForm, PoolAllocateForm, PoolFilterForm, PoolSettingsForm
from ..models import Buyer, PoolAccountRule, PoolSettings

PER_PAGE = 25

pool_readers_required = role_required(Role.SALES, Role.BOSS, Role.OPS_MANAGER, Role.OPS)


@pool_readers_required
def pool_list(request):
    """Inquiries waiting in the pool, newest first, without the buyer's contact details."""
    filter_form = PoolFilterForm(request.GET or None)
    qs = filter_form.filter(pool.pool_inquiries(request.user))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filter_form": filter_form,
        "query": query.urlencode(),
        "status": pool.pool_status(request.user),
    }
    if request.user.is_operations:
        context["allocate_form"] = PoolAllocateForm()
    return render(request, "inquiries/pool/pool_list.html", context)


@sales_required
@require_POST
def pool_claim(request, pk: int):
    """Claim one inquiry of the pool: it is yours from now, with the buyer's details."""
    try:
        allocation = pool.pool_claim(inquiry_id=pk, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("inquiries:pool")
    messages.success(request, _("The inquiry is yours now: reply to the buyer soon."))
    return redirect(allocation.inquiry)


@operations_required
@require_POST
def pool_allocate(request):
    """Operations give chosen inquiries of the pool to a salesperson."""
    form = PoolAllocateForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("inquiries:pool")
    salesperson = form.cleaned_data["salesperson"]
    try:
        outcome = pool.pool_allocate(
            inquiry_ids=form.cleaned_data["inquiries"],
            salesperson=salesperson,
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("inquiries:pool")
    if outcome.allocated:
        messages.success(
            request,
            ngettext(
                "%(n)d inquiry allocated to %(name)s.", "%(n)d inquiries allocated to %(name)s.", len(outcome.allocated)
            )
            % {"n": len(outcome.allocated), "name": salesperson.label},
        )
    for inquiry, owner in outcome.gone:
        messages.warning(
            request,
            _("%(inquiry)s had already left the pool: %(name)s holds it.")
            % {"inquiry": inquiry, "name": owner.label if owner else _("unassigned")},
        )
    return redirect("inquiries:pool")


@ops_manager_required
def pool_settings(request):
    """The pool rule for the company, and the accounts that keep their own clock."""
    rules = PoolSettings.load()
    accounts = list(Account.objects.filter(is_active=True).order_by("code"))
    own = {r.account_id: r for r in PoolAccountRule.objects.filter(account__in=accounts)}
    data = request.POST if request.method == "POST" else None
    form = PoolSettingsForm(data, instance=rules)
    rows = []
    for account in accounts:
        rule = own.get(account.pk)
        initial = {
            "override": rule is not None,
            "enabled": rule.enabled if rule else True,
            "stale_days": rule.stale_days if rule else rules.stale_days,
            "warn_hours": rule.warn_hours if rule else rules.warn_hours,
        }
        rows.append((account, PoolAccountClockForm(data, initial=initial, prefix=f"acc{account.pk}")))
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for _a, f in rows):
        overrides = [
            pool.AccountClockInput(
                a, f.cleaned_data["enabled"], f.cleaned_data["stale_days"], f.cleaned_data["warn_hours"]
            )
            for a, f in rows
            if f.cleaned_data["override"]
        ]
        try:
            pool.pool_settings_save(by=request.user, overrides=overrides, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Public pool rule saved."))
            return redirect("inquiries:pool_settings")
    return render(request, "inquiries/pool/pool_settings.html", {"form": form, "rows": rows})


# ---------------------------------------------------------------------------------------------
# Buyers


@pool_readers_required
def buyer_detail(request, pk: int):
    """A buyer with every inquiry, follow-up and order, totals, first and last contact, owner."""
    buyer = buyers.get_buyer_for_user(request.user, pk)
    context = {"buyer": buyer, **buyers.buyer_history(buyer)}
    if request.user.is_operations:
        context["merge_form"] = BuyerMergeForm()
        context["candidates"] = buyers.buyer_merge_candidates(buyer)
    return render(request, "inquiries/buyers/buyer_detail.html", context)


@operations_required
@require_POST
def buyer_merge(request, pk: int):
    """Merge this buyer into another one (the match missed): the other one is kept."""
    source = buyers.get_buyer_for_user(request.user, pk)
    form = BuyerMergeForm(request.POST)
    target = None
    if form.is_valid():
        target = Buyer.objects.filter(pk=form.cleaned_data["into"]).first()
    if target is None:
        messages.error(request, _("No buyer has that number."))
        return redirect(source)
    try:
        kept = buyers.buyer_merge(source=source, target=target, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(source)
    messages.success(request, _("Merged: all of its inquiries now belong to this buyer."))
    return redirect(kept)


@sales_required
def my_buyers(request):
    """The salesperson's buyers: last contact, next action, orders."""
    page = Paginator(buyers.my_buyers(request.user), PER_PAGE).get_page(request.GET.get("page"))
    orders = buyers.buyers_orders(b.pk for b in page.object_list)
    rows = [(b, *orders.get(b.pk, (0, 0))) for b in page.object_list]
    return render(request, "inquiries/buyers/my_buyers.html", {"page": page, "rows": rows})

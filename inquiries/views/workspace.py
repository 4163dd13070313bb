"""The salesperson's own pages: my inquiries, and the actions on an inquiry they own
(follow-ups, quality flags, orders, lost), RFQ quotes.

Only the owning salesperson writes here: the role decorator turns other roles away (403) and the
access helpers answer 404 for another salesperson's inquiry or order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import Form
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import sales_required
from inquiryhub.forms import form_add_validation_error

from .. import pool, services
from ..forms import (
    FollowUpForm,
    MarkLostForm,
    OrderCancelForm,
    OrderForm,
    OrderRecordForm,
    QualityFlagForm,
    RfqLinkForm,
    RfqQuoteForm,
)
from ..models import Inquiry, Source
from ..selectors import (
    MY_SECTION_COUNTS,
    MySection,
    accounts_for_rfq_quotes,
    get_inquiry_for_user,
    get_order_for_user,
    my_inquiries_page,
    owner_permissions,
    rfq_inquiries_unlinked,
    rfq_quota_usage,
    rfq_quotes_for_salesperson,
    rfq_quotes_to_link,
    sales_nav_counts,
)

PER_PAGE = 25


# ---------------------------------------------------------------------------------------------
# Helpers


def _submit_once(request, form: Form, write: Callable[[], object]) -> bool:
    """Do the form's work once per form token; True when it is done (now or before)."""
    try:
        with transaction.atomic():
            services.form_submission_claim(user=request.user, token=form.cleaned_data["submission"])
            write()
    except services.AlreadySubmitted:
        messages.info(request, _("This was already saved; it was not recorded a second time."))
        return True
    except ValidationError as error:
        form_add_validation_error(form, error)
        return False
    return True


def owner_actions(user: User, inquiry: Inquiry, timeline: list[dict]) -> dict | None:
    """What the owning salesperson can do on their inquiry page; None for anyone else.

    The orders come from the timeline already read, so the actions cost no query of their own.
    """
    allowed = owner_permissions(user, inquiry)
    if allowed is None:
        return None
    context = {
        **allowed,
        "followup_form": FollowUpForm(inquiry=inquiry),
        "rfq_link_form": None,
        "orders": [entry["obj"] for entry in reversed(timeline) if entry["kind"] == "order"],
    }
    if inquiry.source == Source.RFQ:
        context["rfq_link_form"] = RfqLinkForm(
            quotes=rfq_quotes_to_link(user), initial={"quote": inquiry.rfq_quote_id} if inquiry.rfq_quote_id else None
        )
    return context


def _form_page(request, template: str, inquiry: Inquiry, form: Form, **extra):
    return render(request, f"inquiries/workspace/{template}", {"inquiry": inquiry, "form": form, **extra})


def _inquiry_to_act_on(request, pk: int) -> Inquiry:
    # Only the owner reaches here: inquiries_for_user gives a salesperson their own and no other.
    return get_inquiry_for_user(request.user, pk)


# ---------------------------------------------------------------------------------------------
# My inquiries


@sales_required
def my_inquiry_list(request):
    """The salesperson's landing page: what to reply to, whom to follow up today, what is late."""
    section = request.GET.get("tab") or MySection.TO_REPLY
    if section not in MySection.values:
        section = MySection.TO_REPLY
    page = my_inquiries_page(request.user, section, request.GET.get("page"), per_page=PER_PAGE)
    counts = sales_nav_counts(request.user)
    tabs = [{"key": s.value, "label": s.label, "count": counts.get(MY_SECTION_COUNTS[s], 0)} for s in MySection]
    return render(
        request,
        "inquiries/workspace/my_inquiries.html",
        {
            "page": page,
            "section": section,
            "tabs": tabs,
            "counts": counts,
            "pool_due": pool.pool_due_soon(request.user),
        },
    )


# ---------------------------------------------------------------------------------------------
# Actions on an inquiry


@sales_required
def followup_create(request, pk: int):
    """Log a reply, quote, call... on one's own inquiry; the first reply starts the reply clock."""
    inquiry = _inquiry_to_act_on(request, pk)
    form = FollowUpForm(request.POST or None, inquiry=inquiry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            services.followup_log(
                inquiry=inquiry,
                author=request.user,
                kind=data["kind"],
                happened_at=data["happened_at"],
                note=data["note"],
                next_action_on=data["next_action_on"],
            )

        if _submit_once(request, form, write):
            messages.success(request, _("Follow-up saved."))
            return redirect(inquiry)
    return _form_page(request, "followup_form.html", inquiry, form)


@sales_required
def quality_flag_create(request, pk: int):
    """Claim the inquiry is invalid; it shows as disputed until operations decide."""
    inquiry = _inquiry_to_act_on(request, pk)
    form = QualityFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            services.quality_flag(inquiry=inquiry, by=request.user, reason=data["reason"], note=data["note"])

        if _submit_once(request, form, write):
            messages.success(request, _("Flag sent: operations will review it."))
            return redirect(inquiry)
    return _form_page(request, "flag_form.html", inquiry, form)


@sales_required
def order_create(request, pk: int):
    """Record an order won from one's own inquiry."""
    inquiry = _inquiry_to_act_on(request, pk)
    form = OrderRecordForm(request.POST or None, inquiry=inquiry)
    if request.method == "POST" and form.is_valid():

        def write():
            services.order_record(by=request.user, inquiry=inquiry, salesperson=request.user, **form.order_terms())

        if _submit_once(request, form, write):
            messages.success(request, _("Order recorded."))
            return redirect(inquiry)
    return _form_page(request, "order_form.html", inquiry, form)


@sales_required
def order_edit(request, pk: int):
    """Correct an order's terms; the audit trail keeps the old values."""
    order = get_order_for_user(request.user, pk)
    if order.is_cancelled:
        messages.error(request, _("A cancelled order cannot be changed."))
        return redirect(order.inquiry or "inquiries:mine")
    form = OrderForm.for_order(order, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_update(order=order, by=request.user, **form.order_terms())
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Order updated."))
            return redirect(order.inquiry or "inquiries:mine")
    return _form_page(request, "order_form.html", order.inquiry, form, order=order)


@sales_required
def order_cancel(request, pk: int):
    """Cancel an order that fell through: it stops counting as won."""
    order = get_order_for_user(request.user, pk)
    back = order.inquiry or "inquiries:mine"
    if order.is_cancelled:
        messages.info(request, _("This order is already cancelled."))
        return redirect(back)
    form = OrderCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def write():
            services.order_cancel(order=order, by=request.user, reason=form.cleaned_data["reason"])

        if _submit_once(request, form, write):
            messages.success(request, _("Order cancelled."))
            return redirect(back)
    return _form_page(request, "order_cancel.html", order.inquiry, form, order=order)


@sales_required
def inquiry_lost(request, pk: int):
    """The buyer went elsewhere: mark the inquiry lost, with the reason."""
    inquiry = _inquiry_to_act_on(request, pk)
    form = MarkLostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def write():
            services.inquiry_mark_lost(inquiry=inquiry, by=request.user, reason=form.cleaned_data["reason"])

        if _submit_once(request, form, write):
            messages.success(request, _("Inquiry marked lost."))
            return redirect(inquiry)
    return _form_page(request, "lost_form.html", inquiry, form)


@sales_required
@require_POST
def rfq_link(request, pk: int):
    """Tie one's RFQ-sourced inquiry to the quote that brought it."""
    inquiry = _inquiry_to_act_on(request, pk)
    form = RfqLinkForm(request.POST, quotes=rfq_quotes_to_link(request.user))
    if form.is_valid():
        try:
            services.inquiry_link_rfq_quote(inquiry=inquiry, quote=form.cleaned_data["quote"], by=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Inquiry linked to RFQ quote %(rfq)s.") % {"rfq": form.cleaned_data["quote"]})
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    # Back where the salesperson linked it from: the RFQ page or the inquiry page.
    return redirect("inquiries:rfq_quotes" if request.POST.get("back") == "rfq" else inquiry)


# ---------------------------------------------------------------------------------------------
# RFQ quotes


@sales_required
def rfq_quote_list(request):
    """This month's RFQ quota, the form to log a quote, and the quotes with what they brought."""
    accounts, held = accounts_for_rfq_quotes(request.user)
    form = RfqQuoteForm(request.POST or None, accounts=accounts, initial={"account": held})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            services.rfq_quote_log(
                salesperson=request.user,
                rfq_id=data["rfq_id"],
                quoted_at=data["quoted_at"],
                account=data["account"],
                note=data["note"],
                by=request.user,
            )

        if _submit_once(request, form, write):
            messages.success(request, _("RFQ quote %(rfq)s logged.") % {"rfq": data["rfq_id"].strip()})
            return redirect("inquiries:rfq_quotes")
    page = Paginator(rfq_quotes_for_salesperson(request.user), PER_PAGE).get_page(request.GET.get("page"))
    unlinked = list(rfq_inquiries_unlinked(request.user)[:20])
    return render(
        request,
        "inquiries/workspace/rfq_quotes.html",
        {
            "form": form,
            "usage": rfq_quota_usage(request.user),
            "page": page,
            "unlinked": unlinked,
            "my_quotes": list(rfq_quotes_to_link(request.user)) if unlinked else [],
        },
    )

"""Reads of inquiries and what hangs off them, with the access rule written in once.

A salesperson sees only what they own; boss and operations see everything. An object that
exists but is not yours answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User

from .models import FollowUp, ImportJob, ImportRejectedRow, Inquiry, Order


def inquiries_for_user(user: User) -> QuerySet[Inquiry]:
    """All inquiries `user` may see."""
    qs = Inquiry.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(owner=user)
    return qs.none()


def get_inquiry_for_user(user: User, pk: int, *, for_update: bool = False) -> Inquiry:
    """The inquiry `pk` if `user` may see it; 404 otherwise, whether missing or not theirs."""
    qs = inquiries_for_user(user).select_related("account", "owner", "rfq_quote")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Inquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such inquiry.") from None


def orders_for_user(user: User) -> QuerySet[Order]:
    """Orders `user` may see: a salesperson's own (by order or by inquiry), everything for readers."""
    qs = Order.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(salesperson=user)
    return qs.none()


def get_order_for_user(user: User, pk: int) -> Order:
    """The order `pk` if `user` may see it; 404 otherwise."""
    try:
        return orders_for_user(user).select_related("inquiry", "account", "salesperson").get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order.") from None


def followups_for_user(user: User) -> QuerySet[FollowUp]:
    """Follow-ups on inquiries `user` may see."""
    qs = FollowUp.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(inquiry__owner=user)
    return qs.none()


def get_followup_for_user(user: User, pk: int) -> FollowUp:
    """The follow-up `pk` if `user` may see it; 404 otherwise."""
    try:
        return followups_for_user(user).select_related("inquiry", "author").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404("No such follow-up.") from None


def home_counts(user: User) -> dict[str, int]:
    """The handful of numbers a user's home page starts with, in one aggregate query."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from .models import InquiryState

    now = timezone.now()
    open_states = (InquiryState.NEW,)
    qs = inquiries_for_user(user)
    return qs.aggregate(
        total=Count("id"),
        unassigned=Count("id", filter=Q(owner__isnull=True) & ~Q(state=InquiryState.INVALID)),
        new=Count("id", filter=Q(state__in=open_states, owner__isnull=False)),
        overdue=Count("id", filter=Q(state__in=open_states, reply_due_at__lt=now)),
        disputed=Count("id", filter=Q(state=InquiryState.DISPUTED)),
        won=Count("id", filter=Q(state=InquiryState.WON)),
    )


def inquiry_timeline(inquiry: Inquiry) -> list[dict]:
    """Allocations, follow-ups, verdicts and orders of one inquiry, oldest first (four queries)."""
    from .models import Allocation, QualityVerdict

    entries = []
    for a in Allocation.objects.filter(inquiry=inquiry).select_related("salesperson", "allocated_by"):
        entries.append({"at": a.assigned_at, "kind": "allocation", "obj": a})
    for f in FollowUp.objects.filter(inquiry=inquiry).select_related("author"):
        entries.append({"at": f.happened_at, "kind": "followup", "obj": f})
    for v in QualityVerdict.objects.filter(inquiry=inquiry).select_related("decided_by"):
        entries.append({"at": v.decided_at, "kind": "verdict", "obj": v})
    for o in Order.objects.filter(inquiry=inquiry).select_related("salesperson"):
        entries.append({"at": o.won_at, "kind": "order", "obj": o})
    entries.sort(key=lambda e: e["at"])
    return entries


def import_jobs_for_user(user: User) -> QuerySet[ImportJob]:
    """Imports `user` may see: all of the company's for operations, none for anyone else."""
    qs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.is_active or not user.is_operations:
        return qs.none()
    return qs


def get_import_job_for_user(user: User, pk: int) -> ImportJob:
    """The import `pk` if `user` may see it; 404 otherwise."""
    try:
        return import_jobs_for_user(user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def import_rejected_rows(job: ImportJob) -> QuerySet[ImportRejectedRow]:
    """The rejected rows of an import in the order of the file."""
    return job.rejected_rows.order_by("id")

"""The public pool (公海): open inquiries their salesperson let go stale, for others to claim.

- `pool_recycle` (hourly, Celery beat) warns owners a set time before, then returns stale
  inquiries to the pool. The inquiry keeps its owner and `owner_since` while it waits: the
  monthly report's owner as of T is the salesperson of the latest allocation or claim by T, so a
  recycled inquiry stays with the one who let it go until someone else takes it (docs/attribution.md).
- `pool_claim` is an ordinary allocation (reason "claim") through `inquiries_allocate_many`,
  under the inquiry's row lock: of many people claiming one inquiry at once exactly one wins.
- `pool_allocate`: operations give pooled inquiries to a salesperson (reason "pool").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import audit_record
from accounts.models import Account, AuditEvent, Notification, User

from . import alerts, services
from .models import Allocation, Inquiry, InquiryState, PoolAccountRule, PoolEvent, PoolSettings, Source

# Open: not won, lost or confirmed invalid (a disputed flag is only a claim).
OPEN_STATES = (InquiryState.NEW, InquiryState.REPLIED, InquiryState.DISPUTED)
RECYCLE_BATCH = 500


@dataclass(frozen=True)
class PoolClock:
    """The rule that applies to one account's inquiries."""

    enabled: bool
    stale_days: int
    warn_hours: int


def pool_clocks(accounts: Iterable[Account] | None = None) -> dict[int, PoolClock]:
    """account id -> its pool clock: its own override, else the company's (off when the company's is off)."""
    company = PoolSettings.load()
    accounts = list(Account.objects.filter(is_active=True)) if accounts is None else list(accounts)
    overrides = {r.account_id: r for r in PoolAccountRule.objects.filter(account_id__in=[a.pk for a in accounts])}
    clocks = {}
    for account in accounts:
        own = overrides.get(account.pk)
        if not company.enabled:
            clocks[account.pk] = PoolClock(False, company.stale_days, company.warn_hours)
        elif own is not None:
            clocks[account.pk] = PoolClock(own.enabled, own.stale_days, own.warn_hours)
        else:
            clocks[account.pk] = PoolClock(True, company.stale_days, company.warn_hours)
    return clocks


def last_activity() -> Greatest:
    """The later of the last follow-up and the latest allocation (or arrival, if never allocated)."""
    allocated = Coalesce("owner_since", "first_allocated_at", "received_at")
    return Greatest(Coalesce("last_followup_at", allocated), allocated)


def _company_date(at: dt.datetime) -> dt.date:
    return timezone.localtime(at, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _candidates(account_id: int, clock: PoolClock, at: dt.datetime) -> QuerySet[Inquiry]:
    """Held, open, inbound inquiries of one account that are stale at `at`: nothing done on
    them for `stale_days`, and no planned next action on or after the company's date of `at`."""
    return (
        Inquiry.objects.filter(
            account_id=account_id,
            owner__isnull=False,
            pooled_at__isnull=True,
            state__in=OPEN_STATES,
        )
        .exclude(source=Source.RFQ)
        .alias(activity=last_activity())
        .filter(activity__lte=at - dt.timedelta(days=clock.stale_days))
        .filter(Q(next_action_on__isnull=True) | Q(next_action_on__lt=_company_date(at)))
    )


@dataclass
class RecycleOutcome:
    warned: int = 0
    recycled: int = 0
    per_owner: dict[int, int] = field(default_factory=dict)


def pool_recycle(*, now: dt.datetime | None = None) -> RecycleOutcome:
    """Warn the owners of inquiries about to go stale, then return the stale ones to the pool.

    Idempotent and safe to run twice at once: each batch locks its rows, skipping rows another
    run holds, and re-checks them; a warning is sent once per stale spell (`pool_warned_at`).
    """
    now = now or timezone.now()
    outcome = RecycleOutcome()
    for account_id, clock in pool_clocks().items():
        if not clock.enabled:
            continue
        while _recycle_batch(account_id, clock, now, outcome) == RECYCLE_BATCH:
            pass
        if clock.warn_hours:
            while _warn_batch(account_id, clock, now, outcome) == RECYCLE_BATCH:
                pass
    return outcome


@transaction.atomic
def _recycle_batch(account_id: int, clock: PoolClock, now: dt.datetime, outcome: RecycleOutcome) -> int:
    batch = list(
        _candidates(account_id, clock, now)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("owner")
        .order_by("pk")[:RECYCLE_BATCH]
    )
    if not batch:
        return 0
    reason = ngettext("No follow-up for %(n)d day", "No follow-up for %(n)d days", clock.stale_days) % {
        "n": clock.stale_days
    }
    for inquiry in batch:
        inquiry.pooled_at = now
    Inquiry.objects.filter(pk__in=[i.pk for i in batch]).update(pooled_at=now)
    PoolEvent.objects.bulk_create(
        PoolEvent(inquiry=i, kind=PoolEvent.Kind.RECYCLED, salesperson=i.owner, at=now, reason=reason) for i in batch
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="pool.recycle",
            target_type=Inquiry._meta.label_lower,
            target_id=str(i.pk),
            inquiry=i,
            summary=(_("Returned to the pool from %(name)s: %(why)s") % {"name": i.owner.label, "why": reason})[:500],
            changes={"owner": i.owner.username, "stale_days": clock.stale_days, "at": now.isoformat()},
            created_at=now,
        )
        for i in batch
    )
    per_owner: dict[User, list[Inquiry]] = {}
    for inquiry in batch:
        per_owner.setdefault(inquiry.owner, []).append(inquiry)
        outcome.per_owner[inquiry.owner_id] = outcome.per_owner.get(inquiry.owner_id, 0) + 1
    pool_notify(
        [
            (
                owner,
                ngettext(
                    "%(n)d of your inquiries went to the public pool: no follow-up for %(days)d days.",
                    "%(n)d of your inquiries went to the public pool: no follow-up for %(days)d days.",
                    len(items),
                )
                % {"n": len(items), "days": clock.stale_days},
                reverse("inquiries:pool"),
                None,
            )
            for owner, items in per_owner.items()
        ],
        at=now,
    )
    outcome.recycled += len(batch)
    return len(batch)


@transaction.atomic
def _warn_batch(account_id: int, clock: PoolClock, now: dt.datetime, outcome: RecycleOutcome) -> int:
    # Stale by the time the warning runs out, and not warned since its last activity.
    ahead = now + dt.timedelta(hours=clock.warn_hours)
    batch = list(
        _candidates(account_id, clock, ahead)
        .filter(Q(pool_warned_at__isnull=True) | Q(pool_warned_at__lte=F("activity")))
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("owner", "account")
        .order_by("pk")[:RECYCLE_BATCH]
    )
    if not batch:
        return 0
    for inquiry in batch:
        inquiry.pool_warned_at = now
    Inquiry.objects.filter(pk__in=[i.pk for i in batch]).update(pool_warned_at=now)
    notes = []
    per_owner: dict[User, tuple[dt.datetime, list[Inquiry]]] = {}
    for inquiry in batch:
        due = pool_due_at(inquiry, clock)
        first_due, mine = per_owner.get(inquiry.owner, (due, []))
        per_owner[inquiry.owner] = (min(first_due, due), [*mine, inquiry])
        notes.append(
            (
                inquiry.owner,
                _("%(inquiry)s goes to the public pool at %(at)s unless you follow it up.")
                % {"inquiry": inquiry, "at": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                inquiry.get_absolute_url(),
                inquiry,
            )
        )
    pool_notify(notes, at=now)
    alerts.pool_warning_alert(now=now, due=per_owner)  # the same warning in WeCom / DingTalk
    outcome.warned += len(batch)
    return len(batch)


def pool_due_at(inquiry: Inquiry, clock: PoolClock) -> dt.datetime:
    """When this inquiry goes to the pool if nothing is done on it (not before a planned next action)."""
    allocated = inquiry.owner_since or inquiry.first_allocated_at or inquiry.received_at
    activity = max(inquiry.last_followup_at or allocated, allocated)
    due = activity + dt.timedelta(days=clock.stale_days)
    if inquiry.next_action_on is not None:
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        day_after = dt.datetime.combine(inquiry.next_action_on + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        due = max(due, day_after)
    return due


def pool_notify(notes: Sequence[tuple[User, str, str, Inquiry | None]], *, at: dt.datetime) -> None:
    """Tell salespeople about the pool: (recipient, message, link, inquiry) each.

    In-app notifications; the warning also goes to the chat robots (alerts.pool_warning_alert).
    """
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=Notification.Kind.POOL,
            message=message[:500],
            link=link,
            inquiry=inquiry,
            created_at=at,
        )
        for user, message, link, inquiry in notes
    )


# ---------------------------------------------------------------------------------------------
# Claiming and allocating from the pool


class ClaimRefused(ValidationError):
    """A claim that cannot be made: the message says why (and who won, when someone was first)."""


def _company_day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def claims_today(user: User, *, now: dt.datetime | None = None) -> int:
    """How many inquiries `user` claimed since midnight, company time."""
    start = _company_day_start(now or timezone.now())
    return PoolEvent.objects.filter(salesperson=user, kind=PoolEvent.Kind.CLAIMED, at__gte=start).count()


def cooldown_until(user: User, inquiry: Inquiry, *, cooldown_days: int) -> dt.datetime | None:
    """Until when `user` may not claim `inquiry` back, having let it go; None when they may."""
    let_go = (
        PoolEvent.objects.filter(inquiry=inquiry, salesperson=user, kind=PoolEvent.Kind.RECYCLED)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if let_go is None:
        return None
    until = let_go + dt.timedelta(days=cooldown_days)
    return until if until > timezone.now() else None


@transaction.atomic
def pool_claim(*, inquiry_id: int, by: User, now: dt.datetime | None = None) -> Allocation:
    """A salesperson takes an inquiry from the pool: it becomes theirs from now (reason "claim").

    Refused past the daily limit, during the cooldown of the one who let it go, and when someone
    else claimed it first (the message names them).
    """
    now = now or timezone.now()
    services.check_salesperson(by)
    rules = PoolSettings.load()
    # The claimer's row lock serialises their own claims, so the daily limit holds under races.
    User.objects.select_for_update().filter(pk=by.pk).first()
    locked = Inquiry.objects.select_for_update(of=("self",)).filter(pk=inquiry_id).first()
    if locked is None:
        raise ClaimRefused(_("This inquiry no longer exists."))
    if locked.pooled_at is None:
        holder = User.objects.filter(pk=locked.owner_id).first()
        if holder is not None and holder.pk == by.pk:
            raise ClaimRefused(_("You already hold this inquiry."))
        raise ClaimRefused(
            _("Too late: %(name)s claimed this inquiry first.") % {"name": holder.label if holder else "?"}
        )
    if claims_today(by, now=now) >= rules.daily_claim_limit:
        raise ClaimRefused(
            _("You have claimed %(n)d inquiries today, the most allowed a day.") % {"n": rules.daily_claim_limit}
        )
    until = cooldown_until(by, locked, cooldown_days=rules.cooldown_days)
    if until is not None:
        raise ClaimRefused(
            _("You let this inquiry go to the pool: you may claim it back from %(at)s.")
            % {"at": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")}
        )
    (allocation,) = services.inquiries_allocate_many(
        requests=[services.AllocationRequest(locked, by, now)],
        by=by,
        reason=Allocation.Reason.CLAIM,
        note=_("Claimed from the public pool"),
    )
    PoolEvent.objects.create(inquiry=locked, kind=PoolEvent.Kind.CLAIMED, salesperson=by, by=by, at=now)
    return allocation


@dataclass
class PoolAllocationOutcome:
    allocated: list[Inquiry] = field(default_factory=list)
    # inquiries claimed or allocated by someone else first, with who holds them now
    gone: list[tuple[Inquiry, User | None]] = field(default_factory=list)


@transaction.atomic
def pool_allocate(*, inquiry_ids: Sequence[int], salesperson: User, by: User, note: str = "") -> PoolAllocationOutcome:
    """Operations give pooled inquiries to a salesperson (reason "pool"); those no longer in the
    pool come back in `gone`. Neither the daily limit nor the cooldown binds operations."""
    services.check_salesperson(salesperson)
    now = timezone.now()
    locked = list(Inquiry.objects.select_for_update(of=("self",)).filter(pk__in=list(inquiry_ids)).order_by("pk"))
    owners = User.objects.in_bulk({i.owner_id for i in locked if i.owner_id})
    outcome = PoolAllocationOutcome()
    for inquiry in locked:
        inquiry.owner = owners.get(inquiry.owner_id)
        (outcome.allocated if inquiry.pooled_at is not None else outcome.gone).append(inquiry)
    outcome.gone = [(i, i.owner) for i in outcome.gone]
    note = note.strip()[:500] or _("Allocated from the public pool")
    services.inquiries_allocate_many(
        requests=[services.AllocationRequest(i, salesperson, now) for i in outcome.allocated],
        by=by,
        reason=Allocation.Reason.POOL,
        note=note,
    )
    PoolEvent.objects.bulk_create(
        PoolEvent(inquiry=i, kind=PoolEvent.Kind.ALLOCATED, salesperson=salesperson, by=by, at=now, reason=note)
        for i in outcome.allocated
    )
    if outcome.allocated and salesperson.pk != by.pk:
        pool_notify(
            [
                (
                    salesperson,
                    ngettext(
                        "%(n)d inquiry from the public pool was allocated to you.",
                        "%(n)d inquiries from the public pool were allocated to you.",
                        len(outcome.allocated),
                    )
                    % {"n": len(outcome.allocated)},
                    reverse("inquiries:mine"),
                    None,
                )
            ],
            at=now,
        )
    return outcome


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class AccountClockInput:
    account: Account
    enabled: bool
    stale_days: int
    warn_hours: int


@transaction.atomic
def pool_settings_save(
    *,
    by: User,
    enabled: bool,
    stale_days: int,
    warn_hours: int,
    daily_claim_limit: int,
    cooldown_days: int,
    overrides: Sequence[AccountClockInput],
) -> PoolSettings:
    """Set the company's pool rule and the accounts' own clocks (those not listed follow the
    company's); the audit row keeps old and new values."""
    if stale_days < 1 or any(o.stale_days < 1 for o in overrides):
        raise ValidationError({"stale_days": _("An inquiry needs at least one day before it goes to the pool.")})
    if warn_hours >= stale_days * 24 or any(o.warn_hours >= o.stale_days * 24 for o in overrides):
        raise ValidationError({"warn_hours": _("The warning must come after the last follow-up, not before it.")})
    rules = PoolSettings.objects.select_for_update().get(pk=PoolSettings.load().pk)
    before = _settings_snapshot(rules)
    rules.enabled, rules.stale_days, rules.warn_hours = enabled, stale_days, warn_hours
    rules.daily_claim_limit, rules.cooldown_days = daily_claim_limit, cooldown_days
    rules.updated_by = by
    rules.save()
    PoolAccountRule.objects.exclude(account_id__in=[o.account.pk for o in overrides]).delete()
    for o in overrides:
        PoolAccountRule.objects.update_or_create(
            account=o.account, defaults={"enabled": o.enabled, "stale_days": o.stale_days, "warn_hours": o.warn_hours}
        )
    after = _settings_snapshot(rules)
    if before != after:
        audit_record(
            actor=by,
            action="pool.settings",
            target=rules,
            summary=_("Public pool rule changed"),
            changes={key: [before.get(key), value] for key, value in after.items() if before.get(key) != value},
        )
    return rules


def _settings_snapshot(rules: PoolSettings) -> dict:
    return {
        "enabled": rules.enabled,
        "stale_days": rules.stale_days,
        "warn_hours": rules.warn_hours,
        "daily_claim_limit": rules.daily_claim_limit,
        "cooldown_days": rules.cooldown_days,
        "accounts": [
            [r.account.code, r.enabled, r.stale_days, r.warn_hours]
            for r in PoolAccountRule.objects.select_related("account").order_by("account__code")
        ],
    }


# ---------------------------------------------------------------------------------------------
# Reads


def pool_inquiries(user: User) -> QuerySet[Inquiry]:
    """The pool as `user` sees it: salespeople and operations, newest in the pool first; the
    buyer's contact details are left out (the template shows none until claimed)."""
    if not user.is_authenticated or not user.is_active or not (user.is_sales or user.reads_everything):
        return Inquiry.objects.none()
    return (
        Inquiry.objects.filter(pooled_at__isnull=False)
        .select_related("account", "owner")
        .only(
            "id", "account__code", "account__name", "external_id", "received_at", "source", "country", "product",
            "quantity", "subject", "state", "pooled_at", "last_followup_at", "owner__username",
            "owner__display_name", "owner__first_name", "owner__last_name", "buyer_id",
        )
        .order_by("-pooled_at", "-received_at", "-id")
    )  # fmt: skip


def pool_status(user: User) -> dict:
    """The numbers above the pool for a salesperson: claims today, the limit and the cooldown."""
    rules = PoolSettings.load()
    used = claims_today(user) if user.is_sales else 0
    return {
        "rules": rules,
        "claimed_today": used,
        "claims_left": max(rules.daily_claim_limit - used, 0),
    }


def get_pool_inquiry(user: User, pk: int) -> Inquiry:
    """One inquiry of the pool as `user` may see it (no contact details); 404 when not in the pool."""
    try:
        return pool_inquiries(user).get(pk=pk)
    except (Inquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such inquiry in the pool.") from None


def pool_due_soon(user: User) -> list[tuple[Inquiry, dt.datetime]]:
    """The salesperson's own inquiries they were warned about and have not followed up since,
    with when each goes to the pool, soonest first (one query when there are none)."""
    if not user.is_sales:
        return []
    warned = list(
        Inquiry.objects.filter(owner=user, pooled_at__isnull=True, pool_warned_at__isnull=False, state__in=OPEN_STATES)
        .alias(activity=last_activity())
        .filter(pool_warned_at__gt=F("activity"))
        .select_related("account")
        .order_by("pk")[:50]
    )
    if not warned:
        return []
    clocks = pool_clocks({i.account for i in warned})
    rows = [(i, pool_due_at(i, clocks[i.account_id])) for i in warned if clocks[i.account_id].enabled]
    rows.sort(key=lambda row: row[1])
    return rows

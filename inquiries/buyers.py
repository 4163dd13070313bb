"""Buyers: matching inquiries to one record per real buyer, merging the records a match missed,
and the reads of a buyer's whole history.

Matching rules are in `buyer_keys`; this module applies them to the database in a fixed number
of queries per batch (the importer calls `buyers_match_inquiries` on each batch it writes).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User
from inquiryhub.db import bulk_update_rows

from . import buyer_keys
from .models import Buyer, BuyerKey, FollowUp, Inquiry, Order

MATCH_BATCH = 2000


def _keys_of(inquiry: Inquiry) -> dict[str, str]:
    return buyer_keys.buyer_keys(
        email=inquiry.buyer_email, phone=inquiry.buyer_phone, company=inquiry.buyer_company, country=inquiry.country
    )


def buyers_match_inquiries(*, inquiry_ids: Iterable[int]) -> int:
    """Give each of these inquiries without a buyer its buyer, creating the buyers not known yet.

    Returns how many inquiries got a buyer. Inquiries with no key at all (no e-mail, phone or
    company) stay without one. Safe to run again: matched inquiries are skipped.
    """
    ids = sorted(set(inquiry_ids))
    matched = 0
    for start in range(0, len(ids), MATCH_BATCH):
        inquiries = list(
            Inquiry.objects.filter(pk__in=ids[start : start + MATCH_BATCH], buyer__isnull=True)
            .only("id", "buyer_email", "buyer_phone", "buyer_company", "buyer_name", "country", "buyer_id")
            .order_by("received_at", "id")
        )
        matched += _match(inquiries)
    return matched


@dataclass
class BuyerMatches:
    """Which buyer each inquiry belongs to, and the buyers and keys that are new."""

    new_buyers: list[Buyer] = dataclasses.field(default_factory=list)
    new_keys: list[tuple[Buyer, str, str]] = dataclasses.field(default_factory=list)  # (buyer, kind, value)
    matched: list[tuple[Inquiry, Buyer]] = dataclasses.field(default_factory=list)


def buyers_plan_matches(inquiries: list[Inquiry]) -> BuyerMatches:
    """Match inquiries, in the order given, to the buyers their keys name (one query); nothing is written."""
    keys = [(inquiry, _keys_of(inquiry)) for inquiry in inquiries]
    values: dict[str, set[str]] = {}
    for _inquiry, inquiry_keys in keys:
        for kind, value in inquiry_keys.items():
            values.setdefault(kind, set()).add(value)
    # (kind, value) -> a Buyer (stored, or new in this batch)
    known: dict[tuple[str, str], Buyer] = {}
    # By kind and value: the unique (kind, value) index finds them, however many keys are stored.
    wanted = functools.reduce(operator.or_, (Q(kind=kind, value__in=v) for kind, v in values.items()), Q())
    stored = BuyerKey.objects.filter(wanted).select_related("buyer") if values else []
    for key in stored:
        known[(key.kind, key.value)] = key.buyer
    plan = BuyerMatches()
    for inquiry, inquiry_keys in keys:
        if not inquiry_keys:
            continue
        buyer = next((known[(k, inquiry_keys[k])] for k in buyer_keys.KINDS if (k, inquiry_keys.get(k)) in known), None)
        if buyer is None:
            buyer = Buyer(
                name=inquiry.buyer_name[:200],
                company=inquiry.buyer_company[:200],
                email=inquiry.buyer_email,
                phone=inquiry.buyer_phone[:50],
                country=inquiry.country,
            )
            plan.new_buyers.append(buyer)
        # The buyer is known from now on by every key this inquiry has and no other buyer holds.
        for kind, value in inquiry_keys.items():
            if (kind, value) not in known:
                known[(kind, value)] = buyer
                plan.new_keys.append((buyer, kind, value))
        plan.matched.append((inquiry, buyer))
    return plan


def _match(inquiries: list[Inquiry]) -> int:
    plan = buyers_plan_matches(inquiries)
    Buyer.objects.bulk_create(plan.new_buyers, batch_size=1000)
    # A key another process stored meanwhile stays with its buyer (the unique index decides);
    # the duplicate buyer this leaves is what the merge action is for.
    BuyerKey.objects.bulk_create(
        [BuyerKey(buyer=buyer, kind=kind, value=value) for buyer, kind, value in plan.new_keys],
        batch_size=1000,
        ignore_conflicts=True,
    )
    for inquiry, buyer in plan.matched:
        inquiry.buyer = buyer
    bulk_update_rows(Inquiry, [inquiry for inquiry, _buyer in plan.matched], ["buyer"], batch_size=1000)
    return len(plan.matched)


def buyers_match_unmatched() -> int:
    """Match every inquiry that has no buyer yet (after the demo seed, or by hand)."""
    ids = list(Inquiry.objects.filter(buyer__isnull=True).values_list("id", flat=True))
    return buyers_match_inquiries(inquiry_ids=ids)


@transaction.atomic
def buyer_merge(*, source: Buyer, target: Buyer, by: User) -> Buyer:
    """Operations merge `source` into `target`: its inquiries and keys move, the record goes.

    Blank contact fields of the target are filled from the source; the audit row keeps both ids.
    """
    if source.pk == target.pk:
        raise ValidationError(_("Choose another buyer to merge with."))
    locked = {b.pk: b for b in Buyer.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    if len(locked) != 2:
        raise ValidationError(_("One of the two buyers no longer exists: someone merged it already."))
    source, target = locked[source.pk], locked[target.pk]
    moved = Inquiry.objects.filter(buyer=source).update(buyer=target)
    BuyerKey.objects.filter(buyer=source).update(buyer=target)
    filled = []
    for field in ("name", "company", "email", "phone", "country"):
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
            filled.append(field)
    if filled:
        target.save(update_fields=filled)
    audit_record(
        actor=by,
        action="buyer.merge",
        target=target,
        summary=_("Buyer %(source)s merged into %(target)s") % {"source": source, "target": target},
        changes={"source": source.pk, "target": target.pk, "inquiries": moved, "filled": filled},
    )
    source.delete()
    return target


# ---------------------------------------------------------------------------------------------
# Reads


def buyers_for_user(user: User) -> QuerySet[Buyer]:
    """Buyers `user` may open: all for boss and operations; for a salesperson, those of whom
    they hold an inquiry now (claimed or allocated, not waiting in the pool)."""
    qs = Buyer.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(
            pk__in=Inquiry.objects.filter(owner=user, pooled_at__isnull=True, buyer__isnull=False).values("buyer_id")
        )
    return qs.none()


def get_buyer_for_user(user: User, pk: int) -> Buyer:
    """The buyer `pk` if `user` may open it; 404 otherwise, whether missing or not theirs."""
    try:
        return buyers_for_user(user).get(pk=pk)
    except (Buyer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such buyer.") from None


def buyers_current_owner(buyer_ids: Iterable[int], *, exclude_inquiry_ids: Iterable[int] = ()) -> dict[int, int]:
    """buyer id -> the salesperson who holds the buyer: the owner of their latest inquiry that
    has an owner and is not waiting in the pool (the excluded inquiries left out)."""
    ids = sorted(set(buyer_ids))
    excluded = list(exclude_inquiry_ids)
    latest: dict[int, tuple] = {}
    for start in range(0, len(ids), 500):
        rows = (
            Inquiry.objects.filter(buyer_id__in=ids[start : start + 500], owner__isnull=False, pooled_at__isnull=True)
            .exclude(pk__in=excluded)
            .values_list("buyer_id", "owner_id", "received_at", "id")
            .order_by()
        )
        for buyer_id, owner_id, received_at, pk in rows:
            if buyer_id not in latest or (received_at, pk) > latest[buyer_id][1:]:
                latest[buyer_id] = (owner_id, received_at, pk)
    return {buyer_id: value[0] for buyer_id, value in latest.items()}


def buyer_holder(buyer_id: int | None, *, exclude_inquiry_ids: Iterable[int] = ()) -> User | None:
    """The salesperson who holds this buyer (by their other inquiries, if some are excluded), or None."""
    if buyer_id is None:
        return None
    owner_id = buyers_current_owner([buyer_id], exclude_inquiry_ids=exclude_inquiry_ids).get(buyer_id)
    return User.objects.filter(pk=owner_id).first() if owner_id else None


def buyer_history(buyer: Buyer) -> dict:
    """Everything about one buyer: inquiries, follow-ups, orders, totals, first and last contact,
    and who holds the buyer now (five queries)."""
    inquiries = list(
        Inquiry.objects.filter(buyer=buyer).select_related("account", "owner").defer("message").order_by("-received_at")
    )
    ids = [i.pk for i in inquiries]
    followups = list(
        FollowUp.objects.filter(inquiry_id__in=ids).select_related("author", "inquiry").order_by("-happened_at", "-id")
    )
    orders = list(Order.objects.filter(inquiry_id__in=ids).select_related("salesperson").order_by("-won_at", "-id"))
    live = [o for o in orders if o.cancelled_at is None]
    contacts = [i.received_at for i in inquiries] + [f.happened_at for f in followups]
    owner_id = buyers_current_owner([buyer.pk]).get(buyer.pk)
    owner = next((i.owner for i in inquiries if i.owner_id == owner_id), None)
    return {
        "inquiries": inquiries,
        "followups": followups,
        "orders": orders,
        "order_count": len(live),
        "revenue": sum((o.amount_usd for o in live), Decimal("0")),
        "first_contact": min(contacts, default=None),
        "last_contact": max(contacts, default=None),
        "owner": owner,
        "keys": list(buyer.keys.order_by("kind", "value")),
    }


def buyer_merge_candidates(buyer: Buyer, *, limit: int = 10) -> list[Buyer]:
    """Other buyers who may be the same one: the same name, company name or e-mail domain."""
    name_key = buyer_keys.company_name_key(buyer.company)
    condition = Q()
    if buyer.name.strip():
        condition |= Q(name__iexact=buyer.name.strip())
    if name_key:
        condition |= Q(keys__kind=BuyerKey.Kind.COMPANY, keys__value__endswith="|" + name_key)
    domain = buyer.email.rpartition("@")[2].strip().lower()
    if domain and domain not in FREE_MAIL_DOMAINS:
        condition |= Q(email__iendswith="@" + domain)
    if not condition:
        return []
    return list(Buyer.objects.filter(condition).exclude(pk=buyer.pk).distinct().order_by("pk")[:limit])


# Addresses at these say nothing about the company.
FREE_MAIL_DOMAINS = frozenset(
    {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "163.com", "qq.com", "126.com", "mail.ru", "yandex.ru"}
)


def my_buyers(user: User) -> QuerySet[Buyer]:
    """A salesperson's buyers: those of whom they hold an inquiry, with last contact, next action
    and orders (one query), the most recently contacted first."""
    mine = Q(inquiries__owner=user, inquiries__pooled_at__isnull=True)
    return (
        Buyer.objects.filter(mine)
        .annotate(
            my_inquiries=Count("inquiries", filter=mine, distinct=True),
            last_received=Max("inquiries__received_at", filter=mine),
            last_followup=Max("inquiries__last_followup_at", filter=mine),
            next_action=Min("inquiries__next_action_on", filter=mine),
        )
        .order_by("-last_received", "-id")
    )


def buyers_orders(buyer_ids: Iterable[int]) -> dict[int, tuple[int, Decimal]]:
    """buyer id -> (orders, revenue in USD) over all of their inquiries, cancelled orders left out."""
    rows = (
        Order.objects.filter(inquiry__buyer_id__in=list(buyer_ids), cancelled_at__isnull=True)
        .values("inquiry__buyer_id")
        .annotate(n=Count("id"), revenue=Sum("amount_usd"))
        .order_by()
    )
    return {row["inquiry__buyer_id"]: (row["n"], row["revenue"] or Decimal("0")) for row in rows}


def buyers_held_elsewhere(inquiries: Iterable[Inquiry], salesperson: User) -> list[tuple[Inquiry, User]]:
    """Of inquiries just given to `salesperson`, those whose buyer another salesperson holds by
    their other inquiries (撞单), with that salesperson (two queries)."""
    inquiries = [i for i in inquiries if i.buyer_id]
    holders = buyers_current_owner({i.buyer_id for i in inquiries}, exclude_inquiry_ids=[i.pk for i in inquiries])
    people = User.objects.in_bulk({pk for pk in holders.values() if pk != salesperson.pk})
    return [(i, people[holders[i.buyer_id]]) for i in inquiries if holders.get(i.buyer_id) in people]

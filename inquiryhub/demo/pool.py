"""The demo company's public pool (公海) and buyers, loaded after the year's story.

What the pages should show: 王强's inquiries that he let go stale waiting in the pool for others
to claim; the diligent salespeople's open inquiries kept alive by a planned next follow-up (the
story records their replies, not the "buyer is quiet, try again next week" notes that keep a
real list alive); a few returning buyers, so that a buyer's page has a history to show.

Nothing here changes what the monthly report counts: recycling keeps the owner, notes are not
replies, and a buyer's contact details are not read by the report. Safe to run twice: once the
pool or buyers exist, it only matches inquiries that have no buyer yet.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Q

from inquiries.buyers import buyers_match_unmatched
from inquiries.models import Buyer, FollowUp, Inquiry, Order, PoolEvent, PoolSettings
from inquiries.pool import OPEN_STATES, last_activity, pool_clocks, pool_recycle
from inquiries.services import FollowUpRequest, followups_log_many

from . import plan as story

SEED = "inquiryhub-demo/pool"
KEEP_ALIVE_NOTES = (
    "买家暂未回复，下周再跟进",
    "已发目录，等买家确认型号",
    "买家在比价，约好下周电话",
    "样品在路上，到货后回访",
)
# Returning buyers: how many of 王强's pooled inquiries come from a buyer who ordered before.
RETURNING = 12


def demo_pool_seed(*, now: dt.datetime) -> None:
    """Returning buyers, buyers matched, the others' open inquiries planned, 王强's recycled."""
    if PoolEvent.objects.exists() or Buyer.objects.exists():
        buyers_match_unmatched()
        return
    rng = random.Random(SEED)
    PoolSettings.load()
    stale = _stale_at(now)
    _returning_buyers(rng, [i for i in stale if i.owner.username == story.OLD_HOLDER])
    buyers_match_unmatched()
    _keep_alive(rng, [i for i in stale if i.owner.username != story.OLD_HOLDER], now)
    pool_recycle(now=now)


def _stale_at(now: dt.datetime) -> list[Inquiry]:
    """Every inquiry the pool rule would recycle at `now`."""
    clocks = pool_clocks()
    rows = []
    for account_id, clock in clocks.items():
        if not clock.enabled:
            continue
        rows += (
            Inquiry.objects.filter(
                account_id=account_id, owner__isnull=False, pooled_at__isnull=True, state__in=OPEN_STATES
            )
            .exclude(source="rfq")
            .alias(activity=last_activity())
            .filter(activity__lte=now - dt.timedelta(days=clock.stale_days))
            .filter(Q(next_action_on__isnull=True) | Q(next_action_on__lt=now.date()))
            .select_related("owner")
            .order_by("pk")
        )
    return rows


def _returning_buyers(rng: random.Random, wangs: list[Inquiry]) -> None:
    """A few of 王强's stale inquiries come from buyers who ordered earlier: their contact details
    are the earlier inquiry's, so the claimer finds the order on the buyer's page."""
    earlier = list(
        Order.objects.filter(cancelled_at__isnull=True, inquiry__isnull=False)
        .exclude(inquiry__buyer_email="")
        .select_related("inquiry")
        .order_by("won_at", "pk")
    )
    picked = rng.sample(wangs, min(RETURNING, len(wangs)))
    changed = []
    for inquiry in sorted(picked, key=lambda i: i.pk):
        before = [o.inquiry for o in earlier if o.inquiry.received_at < inquiry.received_at]
        if not before:
            continue
        source = rng.choice(before[-200:])
        inquiry.buyer_name, inquiry.buyer_company = source.buyer_name, source.buyer_company
        inquiry.buyer_email, inquiry.country = source.buyer_email, source.country
        changed.append(inquiry)
    Inquiry.objects.bulk_update(changed, ["buyer_name", "buyer_company", "buyer_email", "country"])


def _keep_alive(rng: random.Random, inquiries: list[Inquiry], now: dt.datetime) -> None:
    """A recent note with a next follow-up date on each open inquiry of the salespeople who keep
    their lists alive (days ahead, so that the live demo's pool fills slowly, as in life)."""
    requests = []
    for inquiry in inquiries:
        at = now - dt.timedelta(hours=rng.randint(2, 5 * 24))
        requests.append(
            FollowUpRequest(
                inquiry=inquiry,
                kind=FollowUp.Kind.NOTE,
                happened_at=at,
                author=inquiry.owner,
                note=rng.choice(KEEP_ALIVE_NOTES),
                next_action_on=(now + dt.timedelta(days=rng.randint(2, 12))).date(),
            )
        )
    for start in range(0, len(requests), 500):
        followups_log_many(requests=requests[start : start + 500], by=None)

"""A year of the demo company, planned in plain Python: no database, no Django models.

The story is the article's (see /docs/decisions.md, "Demo data"): operations grow main account A
from 70 inquiries a month to 500+; its experienced holder (王强) wins 7 orders in his 300 month,
then none at 500+, replies late or not at all, flags the inquiries as worthless and gives the
account up; he gets a sub-account instead, and 陈静 takes main A, answers everything, and wins
more each month. Main account B and the sub-accounts carry on as an ordinary team would.

`demo_plan(now=...)` is deterministic: the same instant gives the same plan, and every instant
gives the same shape, because times are laid out inside the calendar months before `now` in the
company's time zone. Nothing after `now` is planned.

The plan is read in the order it is made: `story` (the company in figures and words), `records`
(what a plan is made of), `base` (the calendar), then one module per thing planned: `inbound`
(each account's inquiries and their follow-up), `rfq`, `present` (this month made alive, nothing
after `now`), `implied` (hand-overs and reply-rate snapshots).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from .base import PlannerBase
from .implied import ImpliedPlanner
from .inbound import InboundPlanner
from .present import PresentPlanner
from .records import DemoPlan, Inquiry
from .rfq import RfqPlanner
from .story import ACCOUNTS, COMPANY_NAME, DEMO_PASSWORD, MAIN_A, MAIN_A_NOW, NEW_HOLDER, OLD_HOLDER, TEAM

# What the seeding and its tests read of the plan; the rest is read in the modules themselves.
__all__ = [
    "ACCOUNTS",
    "COMPANY_NAME",
    "DEMO_PASSWORD",
    "MAIN_A",
    "MAIN_A_NOW",
    "NEW_HOLDER",
    "OLD_HOLDER",
    "TEAM",
    "DemoPlan",
    "Inquiry",
    "demo_plan",
]


class _Planner(InboundPlanner, RfqPlanner, PresentPlanner, ImpliedPlanner, PlannerBase):
    """The whole plan: the calendar (PlannerBase) and one part per thing planned."""


def demo_plan(*, now: dt.datetime, time_zone: str) -> DemoPlan:
    """The whole demo year up to `now`, deterministic for a given `now`."""
    tz = zoneinfo.ZoneInfo(time_zone)
    planner = _Planner(now=now, tz=tz)
    planner.plan_inbound()
    planner.plan_rfq()
    planner.make_the_present_alive()
    planner.drop_the_future()
    return DemoPlan(
        now=now,
        month_starts=planner.month_starts,
        hand_overs=planner.hand_overs(),
        quotes=planner.quotes,
        inquiries=sorted(planner.inquiries, key=lambda i: (i.received_at, i.account, i.external_id)),
        snapshots=planner.snapshots(),
    )

"""The reply detail sheet (Alibaba's per-inquiry reply export)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

from accounts.models import User

from ... import services
from ...models import FollowUp, Inquiry
from .. import parsers as p
from .base import BatchOutcome, RowValues, SheetImporter


class ReplyDetailImporter(SheetImporter):
    """First replies of inquiries we have, through the ledger's rule: an earlier reply moves the first reply.

    An inquiry has one row per message sent, so the same inquiry several times is normal: the
    earliest counts. A row naming an inquiry we do not have is rejected, never turned into one.
    """

    kind = "reply_detail"

    def raw_key(self, row):
        return None

    def import_batch(self, rows):
        tz = self.ctx.tz
        parsed = []
        for row in rows:
            values = {
                "inquiry_id": row.get("inquiry_id", p.parse_text, 100, required=True),
                "account": row.get("account", p.parse_text, 100),
                "replied_at": row.get("replied_at", p.parse_time, tz, required=True),
                "replied_by": row.get("replied_by", p.parse_text, 100),
                "responsible": row.get("responsible", p.parse_text, 100),
            }
            if self.ctx.in_future(values["replied_at"]):
                row.reject("replied_at", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        stored: dict[str, list[Inquiry]] = {}
        for inquiry in Inquiry.objects.filter(external_id__in={v["inquiry_id"] for _r, v in parsed}).select_related(
            "account", "owner"
        ):
            stored.setdefault(inquiry.external_id, []).append(inquiry)
        people = self.ctx.people({v["replied_by"] for _r, v in parsed} | {v["responsible"] for _r, v in parsed})
        earliest: dict[int, tuple[dt.datetime, Inquiry, User | None]] = {}
        outcome = BatchOutcome()
        for row, values in parsed:
            inquiry = self._inquiry(row, values, stored)
            if inquiry is None:
                continue
            if values["replied_at"] < inquiry.received_at:
                row.reject("replied_at", gettext_noop("Earlier than the time the inquiry was received."))
                continue
            author = people.get(values["replied_by"]) or people.get(values["responsible"]) or inquiry.owner
            current = earliest.get(inquiry.pk)
            if current is None or values["replied_at"] < current[0]:
                earliest[inquiry.pk] = (values["replied_at"], inquiry, author if author and author.is_sales else None)
            outcome.unchanged += 1  # a later message of the inquiry, or the first one already stored
        requests = [
            services.FollowUpRequest(inquiry, FollowUp.Kind.REPLY, at, author or inquiry.owner)
            for at, inquiry, author in earliest.values()
            if inquiry.first_reply_at is None or at < inquiry.first_reply_at
        ]
        services.followups_log_many(requests=requests, by=self.ctx.by)
        outcome.unchanged -= len(requests)
        outcome.updated += len(requests)
        self._collect(outcome, rows)
        return outcome

    @staticmethod
    def _inquiry(row: RowValues, values: dict, stored: dict[str, list[Inquiry]]) -> Inquiry | None:
        candidates = stored.get(values["inquiry_id"], [])
        if values["account"]:
            candidates = [i for i in candidates if i.account.code == values["account"]]
        if not candidates:
            row.reject(
                "inquiry_id",
                gettext_noop(
                    "InquiryHub has no inquiry %(id)s: import the inquiries first (a reply never creates one)."
                ),
                id=values["inquiry_id"],
            )
            return None
        if len(candidates) > 1:
            row.reject(
                "inquiry_id",
                gettext_noop("Inquiry %(id)s exists on several accounts: add the account column."),
                id=values["inquiry_id"],
            )
            return None
        return candidates[0]

"""The RFQ quotes sheet."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AuditEvent

from ...models import RfqQuote
from .. import parsers as p
from .base import BatchOutcome, SheetImporter, _audit, _diff, _text_key


class RfqQuotesImporter(SheetImporter):
    kind = "rfq_quotes"

    def raw_key(self, row):
        username, rfq_id = _text_key(row.raw("username")), _text_key(row.raw("rfq_id"))
        return (username, rfq_id) if username and rfq_id else None

    def import_batch(self, rows):
        good = self._check(self._parse(rows))
        existing = {
            (q.salesperson_id, q.rfq_id): q
            for q in RfqQuote.objects.filter(
                salesperson__in={u.pk for _r, _v, u, _a in good}, rfq_id__in={v["rfq_id"] for _r, v, _u, _a in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates, events = [], [], []
        for row, values, user, account in good:
            if not self.claim(row, (user.username, values["rfq_id"]), "rfq_id"):
                continue
            quote = existing.get((user.pk, values["rfq_id"]))
            if quote is None:
                creates.append(
                    RfqQuote(salesperson=user, rfq_id=values["rfq_id"], quoted_at=values["quoted_at"], account=account)
                )
                outcome.created += 1
                continue
            changes = _diff(quote, {"quoted_at": values["quoted_at"], "account": account})
            if changes:
                updates.append(quote)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        RfqQuote.objects.bulk_create(creates, batch_size=500)
        RfqQuote.objects.bulk_update(updates, ["quoted_at", "account"], batch_size=1000)
        for quote in creates:
            events.append(
                _audit(
                    action="rfq.quote",
                    target=quote,
                    by=self.ctx.by,
                    summary=_("RFQ quote %(rfq)s logged") % {"rfq": quote.rfq_id},
                    changes={"rfq_id": quote.rfq_id, "quoted_at": quote.quoted_at.isoformat(), "import": True},
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome

    def _parse(self, rows) -> list[tuple]:
        parsed = []
        for row in rows:
            values = {
                "username": row.get("username", p.parse_username, required=True),
                "quoted_at": row.get("quoted_at", p.parse_time, self.ctx.tz, required=True),
                "rfq_id": row.get("rfq_id", p.parse_text, 100, required=True),
                "account": row.get("account", p.parse_text, 100),
            }
            if self.ctx.in_future(values["quoted_at"]):
                row.reject("quoted_at", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        return parsed

    def _check(self, parsed: list[tuple]) -> list[tuple]:
        """The rows whose salesperson and account exist, with them."""
        users = self.ctx.users({v["username"] for _r, v in parsed})
        accounts = self.ctx.accounts({v["account"] for _r, v in parsed if v["account"]})
        good = []
        for row, values in parsed:
            user = users.get(values["username"])
            if user is None:
                row.reject("username", gettext_noop("Unknown user %(username)s."), username=values["username"])
            elif not user.is_sales:
                row.reject("username", gettext_noop("%(name)s is not a salesperson."), name=values["username"])
            if values["account"] and values["account"] not in accounts:
                row.reject("account", gettext_noop("Unknown account %(code)s."), code=values["account"])
            if not row.problems:
                good.append((row, values, user, accounts.get(values["account"])))
        return good

"""The reply rates sheet."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from accounts.models import ReplyRateSnapshot

from .. import parsers as p
from .base import BatchOutcome, SheetImporter, _diff, _text_key


class ReplyRatesImporter(SheetImporter):
    kind = "reply_rates"

    def raw_key(self, row):
        account, day = _text_key(row.raw("account")), row.raw("date")
        if not account or p.is_blank(day):
            return None
        try:
            return (account, p.parse_date(day, self.ctx.tz))
        except p.CellError:
            return None

    def import_batch(self, rows):
        parsed = []
        for row in rows:
            values = {
                "account": row.get("account", p.parse_text, 100, required=True),
                "date": row.get("date", p.parse_date, self.ctx.tz, required=True),
                "reply_rate": row.get("reply_rate", p.parse_rate, required=True),
                "avg_reply_hours": row.get("avg_reply_hours", p.parse_hours),
            }
            if values["date"] is not None and values["date"] > self.ctx.now.astimezone(self.ctx.tz).date():
                row.reject("date", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        accounts = self.ctx.accounts({v["account"] for _r, v in parsed})
        for row, values in parsed:
            if values["account"] not in accounts:
                row.reject("account", gettext_noop("Unknown account %(code)s."), code=values["account"])
        good = [(row, values, accounts[values["account"]]) for row, values in parsed if not row.problems]
        existing = {
            (s.account_id, s.date): s
            for s in ReplyRateSnapshot.objects.filter(
                account__in={a.pk for _r, _v, a in good}, date__in={v["date"] for _r, v, _a in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates = [], []
        for row, values, account in good:
            if not self.claim(row, (account.code, values["date"]), "date"):
                continue
            snapshot = existing.get((account.pk, values["date"]))
            wanted = {"reply_rate": values["reply_rate"], "avg_reply_hours": values["avg_reply_hours"]}
            if snapshot is None:
                creates.append(ReplyRateSnapshot(account=account, date=values["date"], **wanted))
                outcome.created += 1
            elif _diff(snapshot, wanted):
                updates.append(snapshot)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        ReplyRateSnapshot.objects.bulk_create(creates, batch_size=500)
        ReplyRateSnapshot.objects.bulk_update(updates, ["reply_rate", "avg_reply_hours"], batch_size=1000)
        self._collect(outcome, rows)
        return outcome

"""The staff analysis sheet (Alibaba's monthly per-person figures)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AlibabaStaffMonth, AuditEvent

from .. import parsers as p
from .base import BatchOutcome, SheetImporter, _audit, _diff, _jsonable, _text_key

_MONTH_RE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})(?!\d)")


def month_from_text(text: str) -> dt.date | None:
    """The month a title or cell names: 2024-01, 2024年1月, 2024-01-01 ~ 2024-01-31 (its first month)."""
    match = _MONTH_RE.search(text or "")
    if match is None or not 1 <= int(match.group("m")) <= 12:
        return None
    return dt.date(int(match.group("y")), int(match.group("m")), 1)


def parse_month(value: Any, tz: dt.tzinfo) -> dt.date:
    if isinstance(value, dt.datetime):
        value = (value.astimezone(tz) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    month = month_from_text(str(value))
    if month is None:
        raise p.CellError(gettext_noop("Not a month. Write 2024-01 or 2024年1月."))
    return month


class StaffAnalysisImporter(SheetImporter):
    """Alibaba's own figures per salesperson and month, kept beside ours (AlibabaStaffMonth)."""

    kind = "staff_analysis"
    FIGURES = {
        "inquiries": p.parse_whole_number,
        "tm_customers": p.parse_whole_number,
        "reply_rate": p.parse_rate,
        "fast_reply_rate": p.parse_rate,
        "avg_reply_hours": p.parse_hours,
        "ta_orders": p.parse_whole_number,
        "revenue_usd": p.parse_amount,
        "rfq_reply_rate": p.parse_rate,
        "login_days": p.parse_whole_number,
    }

    def __init__(self, ctx, source):
        super().__init__(ctx, source)
        # The export states its period in a title row above the header ("统计时间：2024-01-01 ~ 2024-01-31").
        self.title_month = next(filter(None, (month_from_text(line) for line in source.preamble)), None)

    def raw_key(self, row):
        return _text_key(row.raw("name")) or None

    def import_batch(self, rows):
        by = self.ctx.by
        good = self._check(self._parse(rows))
        existing = {
            (s.person_id, s.month): s
            for s in AlibabaStaffMonth.objects.filter(
                person__in={person.pk for _r, _v, person in good}, month__in={v["month"] for _r, v, _p in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates, events = [], [], []
        for _row, values, person in good:
            figures = {key: values[key] for key in self.FIGURES}
            snapshot = existing.get((person.pk, values["month"]))
            if snapshot is None:
                snapshot = AlibabaStaffMonth(
                    person=person, month=values["month"], alibaba_name=values["name"], **figures
                )
                creates.append(snapshot)
                outcome.created += 1
                changes = {k: _jsonable(v) for k, v in figures.items() if v is not None}
            else:
                changes = _diff(snapshot, figures)
                if not changes:
                    outcome.unchanged += 1
                    continue
                snapshot.imported_at = self.ctx.now
                updates.append(snapshot)
                outcome.updated += 1
            events.append(
                _audit(
                    action="alibaba.staff_figures",
                    target=person,
                    by=by,
                    summary=_("Alibaba's figures of %(name)s for %(month)s imported")
                    % {"name": person.label, "month": values["month"].strftime("%Y-%m")},
                    changes={"month": values["month"].isoformat(), "import_job": self.ctx.job_id, **changes},
                )
            )
        AlibabaStaffMonth.objects.bulk_create(creates, batch_size=500)
        AlibabaStaffMonth.objects.bulk_update(updates, [*self.FIGURES, "imported_at"], batch_size=1000)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome

    def _parse(self, rows) -> list[tuple]:
        parsed = []
        for row in rows:
            values = {
                "name": row.get("name", p.parse_text, 100, required=True),
                "month": row.get("month", parse_month, self.ctx.tz) or self.title_month,
            }
            values.update({key: row.get(key, parse) for key, parse in self.FIGURES.items()})
            if values["month"] is None and not row.problems:
                row.reject("month", gettext_noop("No month: add a month column, or keep the export's title rows."))
            if not row.problems:
                parsed.append((row, values))
        return parsed

    def _check(self, parsed: list[tuple]) -> list[tuple]:
        """The rows whose name is a salesperson's, with that person."""
        people = self.ctx.people({v["name"] for _r, v in parsed})
        good = []
        for row, values in parsed:
            person = people.get(values["name"])
            if person is None:
                row.reject(
                    "name",
                    gettext_noop(
                        "No team member is called %(name)s: link this Alibaba name to a salesperson "
                        "(Imports → Alibaba names), then import the file again."
                    ),
                    name=values["name"],
                )
            elif not person.is_sales:
                row.reject("name", gettext_noop("%(name)s is not a salesperson."), name=values["name"])
            elif self.claim(row, (person.pk, values["month"]), "name"):
                good.append((row, values, person))
        return good

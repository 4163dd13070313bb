"""Writing the inquiries sheet's decided rows: the batch services (SQLite) or set-based (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, CompanySettings

from ... import services
from ...buyers import buyers_plan_matches
from ...models import Allocation, Buyer, FollowUp, Inquiry, Order, Quality, QualityVerdict
from .. import bulk_sql
from .base import _audit

if TYPE_CHECKING:
    from .inquiries import InquiryPlan


class InquiryWriter:
    """The writing half of InquiriesImporter: the same rows, audit trail and states either way."""

    def _write_with_services(self, plans: list[InquiryPlan]) -> None:
        """The plain path (SQLite: the demo and the tests): the batch services, one audit row per inquiry."""
        self._instances_for(plans)
        new = [plan.inquiry for plan in plans if plan.inquiry.pk is None]
        Inquiry.objects.bulk_create(new, batch_size=500)
        changed = [plan for plan in plans if plan.changes]
        for plan in changed:
            plan.inquiry.updated_at = self.ctx.now
        if changed:
            fields = sorted({name for plan in changed for name in plan.changes} | {"updated_at"})
            Inquiry.objects.bulk_update([plan.inquiry for plan in changed], fields, batch_size=500)
        self._record_with_services(plans)
        AuditEvent.objects.bulk_create(self._audit_events(plans), batch_size=500)

    @staticmethod
    def _instances_for(plans: list[InquiryPlan]) -> None:
        """The services take model instances: those of the stored inquiries the rows change, with the changes."""
        stored = [plan for plan in plans if not isinstance(plan.inquiry, Inquiry)]
        instances = Inquiry.objects.select_related("owner").in_bulk([plan.inquiry.pk for plan in stored])
        for plan in stored:
            inquiry = instances[plan.inquiry.pk]
            for name in plan.changes:
                setattr(inquiry, name, plan.fields[name])
            plan.inquiry = inquiry

    @staticmethod
    def _record_with_services(plans: list[InquiryPlan]) -> None:
        """Allocations, first replies, verdicts and orders, through the batch services."""
        # Imported history: no person decided these allocations, replies and verdicts (by=None);
        # the import writes its own audit row per inquiry below.
        services.inquiries_allocate_many(
            requests=[
                services.AllocationRequest(plan.inquiry, plan.salesperson, plan.allocate_at)
                for plan in plans
                if plan.allocate_at
            ],
            by=None,
            reason=Allocation.Reason.IMPORT,
            audited=False,
        )
        services.followups_log_many(
            requests=[
                services.FollowUpRequest(plan.inquiry, FollowUp.Kind.REPLY, plan.first_reply_at, plan.inquiry.owner)
                for plan in plans
                if plan.log_reply
            ],
            by=None,
            audited=False,
        )
        services.quality_verdicts_record_many(
            requests=[
                services.VerdictRequest(
                    plan.inquiry, QualityVerdict.Side.OPERATIONS, plan.quality, plan.invalid_reason or ""
                )
                for plan in plans
                if plan.record_verdict
            ],
            by=None,
            audited=False,
        )
        ordering = [plan for plan in plans if plan.record_order]
        orders = services.orders_record_many(
            requests=[
                services.OrderRequest(
                    won_at=plan.won_at,
                    amount_usd=plan.amount,
                    inquiry=plan.inquiry,
                    trade_assurance=bool(plan.trade_assurance),
                )
                for plan in ordering
            ],
            by=None,
            audited=False,
        )
        for plan, order in zip(ordering, orders, strict=True):
            plan.order_id = order.pk

    def _audit_events(self, plans: list[InquiryPlan]) -> list[AuditEvent]:
        """The import's own audit row per inquiry it changed."""
        return [
            _audit(
                action="inquiry.import",
                target=plan.inquiry,
                inquiry_id=plan.inquiry.pk,
                by=self.ctx.by,
                summary=summary,
                changes=changes,
            )  # fmt: skip
            for plan in plans
            if (audit := self._audit_of(plan)) is not None
            for summary, changes in [audit]
        ]

    def _write_set_based(self, plans: list[InquiryPlan]) -> None:
        """PostgreSQL: the same writes as the services, staged and written set-based (bulk_sql)."""
        new = [plan.inquiry for plan in plans if plan.inquiry.pk is None]
        for inquiry, pk in zip(new, bulk_sql.reserve_ids(Inquiry._meta.db_table, len(new)), strict=True):
            inquiry.pk = pk
        ordering = [plan for plan in plans if plan.record_order]
        for plan, pk in zip(ordering, bulk_sql.reserve_ids(Order._meta.db_table, len(ordering)), strict=True):
            plan.order_id = pk
        created = {id(inquiry) for inquiry in new}
        # Buyers of the new inquiries, matched as buyers_match_inquiries would (by time received).
        buyers = buyers_plan_matches(sorted(new, key=lambda i: (i.received_at, i.pk)))
        for buyer, pk in zip(
            buyers.new_buyers, bulk_sql.reserve_ids(Buyer._meta.db_table, len(buyers.new_buyers)), strict=True
        ):
            buyer.pk = pk
        buyer_of = {id(inquiry): buyer.pk for inquiry, buyer in buyers.matched}
        staged = []
        for plan in plans:
            audit = self._audit_of(plan)
            staged.append(
                bulk_sql.StagedRow(
                    inquiry_id=plan.inquiry.pk,
                    is_new=id(plan.inquiry) in created,
                    buyer_id=buyer_of.get(id(plan.inquiry)),
                    changed=bool(plan.changes),
                    account_id=plan.account.pk,
                    external_id=plan.external_id,
                    values=plan.fields,
                    salesperson_id=plan.salesperson.pk if plan.allocate_at else None,
                    allocate_at=plan.allocate_at,
                    reply_at=plan.first_reply_at if plan.log_reply else None,
                    verdict=plan.quality if plan.record_verdict else None,
                    reason=plan.invalid_reason or "",
                    order_id=plan.order_id,
                    won_at=plan.won_at,
                    amount=plan.amount,
                    trade_assurance=bool(plan.trade_assurance),
                    audit_summary=audit[0] if audit else None,
                    audit_changes=audit[1] if audit else None,
                )
            )
        by = self.ctx.by
        bulk_sql.write_inquiry_rows(
            staged,
            buyers=buyers.new_buyers,
            buyer_keys=[(buyer.pk, kind, value) for buyer, kind, value in buyers.new_keys],
            now=timezone.now(),
            changed_at=self.ctx.now,
            reply_deadline=dt.timedelta(hours=CompanySettings.load().reply_deadline_hours),
            actor_id=by.pk if by is not None and by.pk else None,
        )

    def _audit_of(self, plan: InquiryPlan) -> tuple[str, dict] | None:
        """The inquiry's one audit row: who imported, in which job, and everything the row set."""
        texts = self._texts
        history = []  # (summary, {action, target, **changes}) in the order the services write them
        target = f"inquiries.inquiry:{plan.inquiry.pk}"
        if plan.allocate_at:
            history.append((
                texts["allocated"] % {"to": plan.salesperson.label, "why": texts["import"]},
                {"action": "inquiry.allocate", "target": target,
                 "owner": [plan.previous_owner, plan.salesperson.username], "reason": Allocation.Reason.IMPORT,
                 "note": "", "at": plan.allocate_at.isoformat()},
            ))  # fmt: skip
        if plan.log_reply:
            history.append((
                texts["logged"],
                {"action": "followup.log", "target": target, "kind": FollowUp.Kind.REPLY,
                 "at": plan.first_reply_at.isoformat(), "note": ""},
            ))  # fmt: skip
        if plan.record_verdict:
            history.append((
                texts["verdict"] % {"side": texts["ops"], "verdict": texts[plan.quality]},
                {"action": "quality.decide", "target": target, "verdict": plan.quality,
                 "reason": plan.invalid_reason or "", "note": ""},
            ))  # fmt: skip
        if plan.record_order:
            history.append((
                texts["order"] % {"amount": plan.amount},
                {"action": "order.record", "target": f"inquiries.order:{plan.order_id}",
                 "won_at": plan.won_at.isoformat(), "amount_usd": str(plan.amount),
                 "trade_assurance": bool(plan.trade_assurance)},
            ))  # fmt: skip
        if not history and not plan.changes:
            return None
        parts = [summary[:500] for summary, _entry in history]
        changes: dict[str, Any] = {"import_job": self.ctx.job_id}
        if plan.changes:
            parts.insert(0, texts["changed"] % {"fields": ", ".join(sorted(plan.changes))})
            changes["fields"] = plan.changes
        if history:
            changes["history"] = [entry for _summary, entry in history]
        return (texts["imported"] % {"what": "; ".join(parts)})[:500], changes

    @functools.cached_property
    def _texts(self) -> dict[str, str]:
        """The audit texts, translated once per import (as the services write them)."""
        return {
            "imported": _("Imported: %(what)s"),
            "changed": _("Changed: %(fields)s"),
            "allocated": _("Allocated to %(to)s (%(why)s)"),
            "import": str(Allocation.Reason.IMPORT.label),
            "logged": _("Follow-up logged: %(kind)s") % {"kind": str(FollowUp.Kind.REPLY.label)},
            "verdict": _("%(side)s: %(verdict)s"),
            "ops": str(QualityVerdict.Side.OPERATIONS.label),
            **{value: str(label) for value, label in Quality.choices},
            "order": _("Order recorded: US$%(amount)s"),
        }

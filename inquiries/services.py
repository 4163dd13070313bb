"""Workflows that write inquiries and what hangs off them.

Each workflow exists in a batch form (`*_many`) that the importer and bulk pages use, writing
in a fixed number of queries whatever the batch size, and a one-object form that the pages use.
Every one writes its own audit rows and keeps the inquiry row's copies (owner, first allocation,
first reply, reply deadline, quality, state) true; nothing else writes those fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import audit_record
from accounts.models import Account, AuditEvent, CompanySettings, Notification, Role, User
from inquiryhub.db import bulk_create_rows, bulk_update_rows

from .models import (
    Allocation,
    FollowUp,
    ImportJob,
    ImportRejectedRow,
    Inquiry,
    InquiryState,
    InvalidReason,
    Order,
    Quality,
    QualityVerdict,
    RfqQuote,
)

# ---------------------------------------------------------------------------------------------
# Derived fields


def inquiries_refresh_derived(*, inquiry_ids: Iterable[int]) -> None:
    """Recompute `quality` and `state` of the given inquiries from their verdicts and orders."""
    ids = list(set(inquiry_ids))
    if not ids:
        return
    inquiries = list(Inquiry.objects.filter(pk__in=ids).only("id", "first_reply_at", "lost_at", "quality", "state"))
    latest_ops: dict[int, QualityVerdict] = {}
    latest_sales: dict[int, QualityVerdict] = {}
    for verdict in QualityVerdict.objects.filter(inquiry_id__in=ids).order_by("decided_at", "id"):
        target = latest_ops if verdict.side == QualityVerdict.Side.OPERATIONS else latest_sales
        target[verdict.inquiry_id] = verdict
    won_ids = set(
        Order.objects.filter(inquiry_id__in=ids, cancelled_at__isnull=True).values_list("inquiry_id", flat=True)
    )
    changed = []
    for inquiry in inquiries:
        ops, sales = latest_ops.get(inquiry.pk), latest_sales.get(inquiry.pk)
        quality = (ops or sales).verdict if (ops or sales) else ""
        disputed = (
            sales is not None
            and sales.verdict == Quality.INVALID
            and (ops is None or (ops.decided_at, ops.pk) < (sales.decided_at, sales.pk))
        )
        if inquiry.pk in won_ids:
            state = InquiryState.WON
        elif disputed:
            state = InquiryState.DISPUTED
        elif quality == Quality.INVALID:
            state = InquiryState.INVALID
        elif inquiry.lost_at is not None:
            state = InquiryState.LOST
        elif inquiry.first_reply_at is not None:
            state = InquiryState.REPLIED
        else:
            state = InquiryState.NEW
        if (inquiry.quality, inquiry.state) != (quality, state):
            inquiry.quality, inquiry.state = quality, state
            changed.append(inquiry)
    bulk_update_rows(Inquiry, changed, ["quality", "state"], batch_size=1000)


def _audit_many(events: list[AuditEvent]) -> None:
    bulk_create_rows(AuditEvent, events, batch_size=1000)


def _audit_event(*, actor, action, target, summary, inquiry_id=None, changes=None) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        inquiry_id=inquiry_id,
        summary=summary[:500],
        changes=changes or {},
    )


# ---------------------------------------------------------------------------------------------
# Allocation


@dataclass(frozen=True)
class AllocationRequest:
    inquiry: Inquiry
    salesperson: User
    at: dt.datetime | None = None


def check_salesperson(user: User) -> None:
    """Only active salespeople can own inquiries."""
    if user.role != Role.SALES:
        raise ValidationError(_("%(name)s is not a salesperson.") % {"name": user.label})
    if not user.is_active:
        raise ValidationError(_("%(name)s is no longer active.") % {"name": user.label})


def inquiries_allocate_many(
    *,
    requests: Sequence[AllocationRequest],
    by: User | None,
    reason: str = Allocation.Reason.MANUAL,
    note: str = "",
) -> list[Allocation]:
    """Allocate each inquiry to its salesperson: one Allocation row each, owner and deadline updated.

    The caller holds the inquiries' row locks when concurrent writers are possible.
    """
    if not requests:
        return []
    deadline = dt.timedelta(hours=CompanySettings.load().reply_deadline_hours)
    now = timezone.now()
    allocations, events, touched = [], [], []
    for request in requests:
        inquiry, salesperson = request.inquiry, request.salesperson
        at = request.at or now
        previous = inquiry.owner
        allocations.append(
            Allocation(
                inquiry=inquiry, salesperson=salesperson, allocated_by=by, assigned_at=at, reason=reason, note=note
            )
        )
        inquiry.owner = salesperson
        if inquiry.first_allocated_at is None or at < inquiry.first_allocated_at:
            inquiry.first_allocated_at = at
        if inquiry.first_reply_at is None:
            inquiry.reply_due_at = max(inquiry.received_at, at) + deadline
            inquiry.overdue_at = None
        touched.append(inquiry)
        events.append(
            _audit_event(
                actor=by,
                action="inquiry.allocate",
                target=inquiry,
                inquiry_id=inquiry.pk,
                summary=_("Allocated to %(to)s (%(why)s)")
                % {"to": salesperson.label, "why": Allocation.Reason(reason).label},
                changes={
                    "owner": [previous.username if previous else None, salesperson.username],
                    "reason": reason,
                    "note": note,
                    "at": at.isoformat(),
                },
            )
        )
    bulk_create_rows(Allocation, allocations, batch_size=1000)
    bulk_update_rows(
        Inquiry, touched, ["owner", "first_allocated_at", "reply_due_at", "overdue_at", "updated_at"], batch_size=1000
    )
    _audit_many(events)
    return allocations


@transaction.atomic
def inquiry_allocate(
    *,
    inquiry: Inquiry,
    salesperson: User,
    by: User | None,
    reason: str = Allocation.Reason.MANUAL,
    note: str = "",
    at: dt.datetime | None = None,
) -> Allocation:
    """Allocate one inquiry to a salesperson, recording who decided, when and why."""
    check_salesperson(salesperson)
    locked = Inquiry.objects.select_for_update(of=("self",)).select_related("owner").get(pk=inquiry.pk)
    (allocation,) = inquiries_allocate_many(
        requests=[AllocationRequest(locked, salesperson, at)], by=by, reason=reason, note=note
    )
    _copy_service_fields(locked, inquiry)
    return allocation


def _copy_service_fields(source: Inquiry, target: Inquiry) -> None:
    for field in (
        "owner",
        "first_allocated_at",
        "first_reply_at",
        "reply_due_at",
        "overdue_at",
        "quality",
        "state",
        "lost_at",
        "lost_reason",
    ):
        setattr(target, field, getattr(source, field))


# ---------------------------------------------------------------------------------------------
# Follow-ups


@dataclass(frozen=True)
class FollowUpRequest:
    inquiry: Inquiry
    kind: str
    happened_at: dt.datetime
    author: User | None = None
    note: str = ""
    next_action_on: dt.date | None = None


def followups_log_many(*, requests: Sequence[FollowUpRequest], by: User | None) -> list[FollowUp]:
    """Write follow-ups; a reply-kind one moves the inquiry's first-reply time earlier if it is."""
    if not requests:
        return []
    followups, touched, events = [], {}, []
    for request in requests:
        inquiry = request.inquiry
        followups.append(
            FollowUp(
                inquiry=inquiry,
                author=request.author,
                kind=request.kind,
                happened_at=request.happened_at,
                note=request.note,
                next_action_on=request.next_action_on,
            )
        )
        if request.kind in FollowUp.REPLY_KINDS and (
            inquiry.first_reply_at is None or request.happened_at < inquiry.first_reply_at
        ):
            inquiry.first_reply_at = request.happened_at
            touched[inquiry.pk] = inquiry
        events.append(
            _audit_event(
                actor=by,
                action="followup.log",
                target=inquiry,
                inquiry_id=inquiry.pk,
                summary=_("Follow-up logged: %(kind)s") % {"kind": FollowUp.Kind(request.kind).label},
                changes={"kind": request.kind, "at": request.happened_at.isoformat(), "note": request.note[:200]},
            )
        )
    bulk_create_rows(FollowUp, followups, batch_size=1000)
    bulk_update_rows(Inquiry, list(touched.values()), ["first_reply_at", "updated_at"], batch_size=1000)
    _audit_many(events)
    inquiries_refresh_derived(inquiry_ids=touched.keys())
    return followups


@transaction.atomic
def followup_log(
    *,
    inquiry: Inquiry,
    author: User,
    kind: str,
    happened_at: dt.datetime | None = None,
    note: str = "",
    next_action_on: dt.date | None = None,
) -> FollowUp:
    """Log one follow-up on an inquiry by its author."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    happened_at = happened_at or timezone.now()
    if happened_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"happened_at": _("A follow-up cannot be in the future.")})
    (followup,) = followups_log_many(
        requests=[FollowUpRequest(locked, kind, happened_at, author, note, next_action_on)], by=author
    )
    locked.refresh_from_db()
    _copy_service_fields(locked, inquiry)
    return followup


# ---------------------------------------------------------------------------------------------
# Quality verdicts


@dataclass(frozen=True)
class VerdictRequest:
    inquiry: Inquiry
    side: str
    verdict: str
    reason: str = ""
    note: str = ""
    at: dt.datetime | None = None
    decided_by: User | None = None


def quality_verdicts_record_many(*, requests: Sequence[VerdictRequest], by: User | None) -> list[QualityVerdict]:
    """Record quality verdicts (flags or decisions) and refresh the inquiries' quality and state."""
    if not requests:
        return []
    now = timezone.now()
    verdicts, events = [], []
    for request in requests:
        if request.verdict == Quality.INVALID and request.reason not in InvalidReason.values:
            raise ValidationError({"reason": _("Choose why the inquiry is invalid.")})
        verdicts.append(
            QualityVerdict(
                inquiry=request.inquiry,
                decided_by=request.decided_by,
                side=request.side,
                verdict=request.verdict,
                reason=request.reason if request.verdict == Quality.INVALID else "",
                note=request.note,
                decided_at=request.at or now,
            )
        )
        events.append(
            _audit_event(
                actor=by,
                action="quality.flag" if request.side == QualityVerdict.Side.SALES else "quality.decide",
                target=request.inquiry,
                inquiry_id=request.inquiry.pk,
                summary=_("%(side)s: %(verdict)s")
                % {"side": QualityVerdict.Side(request.side).label, "verdict": Quality(request.verdict).label},
                changes={"verdict": request.verdict, "reason": request.reason, "note": request.note[:200]},
            )
        )
    bulk_create_rows(QualityVerdict, verdicts, batch_size=1000)
    _audit_many(events)
    inquiries_refresh_derived(inquiry_ids=[v.inquiry_id for v in verdicts])
    return verdicts


@transaction.atomic
def quality_flag(*, inquiry: Inquiry, by: User, reason: str, note: str = "") -> QualityVerdict:
    """A salesperson claims an inquiry is invalid; it waits for operations' review as disputed."""
    (verdict,) = quality_verdicts_record_many(
        requests=[VerdictRequest(inquiry, QualityVerdict.Side.SALES, Quality.INVALID, reason, note, decided_by=by)],
        by=by,
    )
    inquiry.refresh_from_db()
    return verdict


@transaction.atomic
def quality_decide(
    *, inquiry: Inquiry, by: User | None, verdict: str, reason: str = "", note: str = "", at: dt.datetime | None = None
) -> QualityVerdict:
    """Operations confirm or overturn a flag, or rate an inquiry: the last word on quality."""
    (decision,) = quality_verdicts_record_many(
        requests=[VerdictRequest(inquiry, QualityVerdict.Side.OPERATIONS, verdict, reason, note, at, decided_by=by)],
        by=by,
    )
    inquiry.refresh_from_db()
    return decision


# ---------------------------------------------------------------------------------------------
# Orders


@dataclass(frozen=True)
class OrderRequest:
    won_at: dt.datetime
    amount_usd: Decimal
    inquiry: Inquiry | None = None
    salesperson: User | None = None
    account: Account | None = None
    trade_assurance: bool = False
    original_currency: str = ""
    original_amount: Decimal | None = None
    note: str = ""


def orders_record_many(*, requests: Sequence[OrderRequest], by: User | None) -> list[Order]:
    """Record won orders; an order on an inquiry takes its account and, unless given, its owner."""
    if not requests:
        return []
    orders, events = [], []
    for request in requests:
        if request.amount_usd is None or request.amount_usd < 0:
            raise ValidationError({"amount_usd": _("An order amount cannot be negative.")})
        inquiry = request.inquiry
        order = Order(
            inquiry=inquiry,
            salesperson=request.salesperson or (inquiry.owner if inquiry else None),
            account=request.account or (inquiry.account if inquiry else None),
            won_at=request.won_at,
            amount_usd=request.amount_usd,
            trade_assurance=request.trade_assurance,
            original_currency=request.original_currency,
            original_amount=request.original_amount,
            note=request.note,
            created_by=by if by is not None and by.pk else None,
        )
        orders.append(order)
    bulk_create_rows(Order, orders, batch_size=1000)
    for order in orders:
        events.append(
            _audit_event(
                actor=by,
                action="order.record",
                target=order,
                inquiry_id=order.inquiry_id,
                summary=_("Order recorded: US$%(amount)s") % {"amount": order.amount_usd},
                changes={
                    "won_at": order.won_at.isoformat(),
                    "amount_usd": str(order.amount_usd),
                    "trade_assurance": order.trade_assurance,
                },
            )
        )
    _audit_many(events)
    inquiries_refresh_derived(inquiry_ids=[o.inquiry_id for o in orders if o.inquiry_id])
    return orders


@transaction.atomic
def order_record(*, by: User | None, **fields) -> Order:
    """Record one won order (see OrderRequest for the fields)."""
    (order,) = orders_record_many(requests=[OrderRequest(**fields)], by=by)
    return order


ORDER_EDITABLE_FIELDS = ("won_at", "amount_usd", "trade_assurance", "original_currency", "original_amount", "note")


@transaction.atomic
def order_update(*, order: Order, by: User | None, **fields) -> Order:
    """Change an order's terms; the audit row keeps the old and new values."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    changes = {}
    for name, value in fields.items():
        if name not in ORDER_EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable order field")
        old = getattr(locked, name)
        if old != value:
            changes[name] = [old, value]
            setattr(locked, name, value)
    if locked.amount_usd < 0:
        raise ValidationError({"amount_usd": _("An order amount cannot be negative.")})
    if changes:
        locked.save()
        audit_record(
            actor=by,
            action="order.update",
            target=locked,
            inquiry=locked.inquiry,
            summary=_("Order changed"),
            changes=changes,
        )
    return locked


@transaction.atomic
def order_cancel(*, order: Order, by: User | None, reason: str = "", at: dt.datetime | None = None) -> Order:
    """Cancel an order; it stops counting as won from `at` on."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.cancelled_at is not None:
        raise ValidationError(_("This order is already cancelled."))
    locked.cancelled_at = at or timezone.now()
    locked.cancel_reason = reason
    locked.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
    audit_record(
        actor=by,
        action="order.cancel",
        target=locked,
        inquiry=locked.inquiry,
        summary=_("Order cancelled"),
        changes={"cancelled_at": locked.cancelled_at.isoformat(), "reason": reason},
    )
    if locked.inquiry_id:
        inquiries_refresh_derived(inquiry_ids=[locked.inquiry_id])
    return locked


# ---------------------------------------------------------------------------------------------
# Lost inquiries and RFQ quotes


@transaction.atomic
def inquiry_mark_lost(*, inquiry: Inquiry, by: User, reason: str, at: dt.datetime | None = None) -> Inquiry:
    """The buyer went elsewhere: keep the reason, take it off the open lists."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the inquiry was lost.")})
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    locked.lost_at = at or timezone.now()
    locked.lost_reason = reason.strip()
    locked.save(update_fields=["lost_at", "lost_reason", "updated_at"])
    audit_record(
        actor=by,
        action="inquiry.lost",
        target=locked,
        inquiry=locked,
        summary=_("Marked lost"),
        changes={"reason": reason},
    )
    inquiries_refresh_derived(inquiry_ids=[locked.pk])
    locked.refresh_from_db()
    _copy_service_fields(locked, inquiry)
    return inquiry


@transaction.atomic
def rfq_quote_log(
    *,
    salesperson: User,
    rfq_id: str,
    quoted_at: dt.datetime | None = None,
    account: Account | None = None,
    note: str = "",
    by: User | None = None,
) -> RfqQuote:
    """Log an RFQ quote against the salesperson's monthly quota."""
    rfq_id = rfq_id.strip()
    if not rfq_id:
        raise ValidationError({"rfq_id": _("Enter the RFQ number.")})
    if RfqQuote.objects.filter(salesperson=salesperson, rfq_id=rfq_id).exists():
        raise ValidationError({"rfq_id": _("You have already logged a quote on this RFQ.")})
    quote = RfqQuote.objects.create(
        salesperson=salesperson, rfq_id=rfq_id, quoted_at=quoted_at or timezone.now(), account=account, note=note
    )
    audit_record(
        actor=by or salesperson,
        action="rfq.quote",
        target=quote,
        summary=_("RFQ quote %(rfq)s logged") % {"rfq": rfq_id},
        changes={"rfq_id": rfq_id, "quoted_at": quote.quoted_at.isoformat()},
    )
    return quote


# ---------------------------------------------------------------------------------------------
# Imports

logger = logging.getLogger(__name__)

# Rows written per transaction: large enough that per-batch queries vanish, small enough that the
# progress bar moves and an interrupted job loses at most one batch.
IMPORT_BATCH_ROWS = 2000
IMPORT_UNEXPECTED_ERROR = gettext_noop(
    "The import stopped because of an unexpected error. The rows done so far are kept; importing the "
    "file again is safe. If it happens again, ask your administrator to look at the server log."
)


@dataclass
class SheetSummary:
    kind: str
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unknown_columns: list[str] = dataclasses.field(default_factory=list)


@dataclass
class ImportResult:
    """What an import did, per sheet; `new_inquiry_ids` are the inquiries it created in this run."""

    job: ImportJob
    sheets: list[SheetSummary]
    ignored_sheets: list[str]
    new_inquiry_ids: list[int] = dataclasses.field(default_factory=list)
    new_inquiries_before: int = 0  # created by an earlier, interrupted run of the same job

    @property
    def ok(self) -> bool:
        return self.job.status == ImportJob.Status.DONE

    def summary_json(self) -> dict:
        return {
            "sheets": [vars(s) for s in self.sheets],
            "ignored_sheets": self.ignored_sheets,
            "new_inquiries": self.new_inquiries_before + len(self.new_inquiry_ids),
        }

    @classmethod
    def from_job(cls, job: ImportJob) -> ImportResult:
        summary = job.summary or {}
        return cls(
            job,
            [SheetSummary(**s) for s in summary.get("sheets", [])],
            summary.get("ignored_sheets", []),
            new_inquiries_before=summary.get("new_inquiries", 0),
        )


def import_kind_of(name: str) -> str:
    """xlsx or csv, from a file name; anything else is refused."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        return ImportJob.Kind.XLSX
    if suffix == ".csv":
        return ImportJob.Kind.CSV
    raise ValidationError(_("Upload an Excel workbook (.xlsx) or a csv file (.csv)."))


@transaction.atomic
def import_job_create(
    *, file: File, original_name: str, by: User | None, sheet: str = "", origin: str = ImportJob.Origin.BROWSER
) -> ImportJob:
    """Keep the file under MEDIA_ROOT/imports/ and record a waiting import job (audited)."""
    from .importing.parsers import sheet_kind, sheet_names_hint

    kind = import_kind_of(original_name)
    sheet_key = ""
    if kind == ImportJob.Kind.CSV:
        # A csv holds one sheet: named by the uploader, or by the file's own name (inquiries.csv).
        sheet_key = sheet_kind(sheet) if sheet else sheet_kind(PurePath(original_name).stem)
        if sheet_key is None:
            if sheet:
                raise ValidationError(
                    _("Unknown sheet %(sheet)s; the sheets are %(names)s.")
                    % {"sheet": sheet, "names": sheet_names_hint()}
                )
            raise ValidationError(_("Say which sheet this csv file holds: %(names)s.") % {"names": sheet_names_hint()})
    job = ImportJob(
        created_by=by if by is not None and by.pk else None,
        origin=origin,
        original_name=PurePath(original_name).name[:255],
        kind=kind,
        sheet=sheet_key,
    )
    job.file.save(original_name, file, save=False)
    job.save()
    audit_record(
        actor=by,
        action="import.upload",
        target=job,
        summary=_("Import of %(name)s started") % {"name": job.original_name},
        changes={"file": job.original_name, "kind": kind, "sheet": sheet_key, "origin": origin},
    )
    return job


def import_job_submit(*, file: File, original_name: str, by: User, sheet: str = "") -> ImportJob:
    """Record an uploaded import and hand it to the background worker once the upload is committed."""
    from .tasks import import_workbook

    with transaction.atomic():
        job = import_job_create(file=file, original_name=original_name, by=by, sheet=sheet)
        transaction.on_commit(partial(import_workbook.delay, job.pk))
    return job


def workbook_import(*, job_id: int, batch_rows: int = IMPORT_BATCH_ROWS) -> ImportResult:
    """Run an import job: check the file whole, then write its sheets in order, batch by batch.

    Safe to run again: a finished job is not redone, and a job interrupted mid-way (a worker that
    died) resumes after the last batch it committed; the upsert makes any overlap harmless.
    """
    from .importing.readers import UnreadableFile, open_workbook

    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.status == ImportJob.Status.DONE:
            return ImportResult.from_job(job)
        resume_from = job.done_rows if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.FAILED) else 0
        job.status, job.error, job.error_params = ImportJob.Status.RUNNING, "", {}
        job.started_at = job.started_at or timezone.now()
        job.finished_at = None
        job.save(update_fields=["status", "error", "error_params", "started_at", "finished_at"])

    try:
        with open_workbook(
            job.file.path,
            kind=job.kind,
            sheet=job.sheet,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024,
        ) as book:
            result = _import_sheets(job, book, resume_from=resume_from, batch_rows=batch_rows)
    except UnreadableFile as exc:
        _import_failed(job, exc.message, exc.params)
        return ImportResult.from_job(job)
    except Exception:  # noqa: BLE001 - whatever broke, the job says so and the log keeps the traceback
        logger.exception("import job %s failed", job.pk)
        _import_failed(job, IMPORT_UNEXPECTED_ERROR, {})
        return ImportResult.from_job(job)
    _import_finished(job, result)
    return result


def _import_sheets(job: ImportJob, book, *, resume_from: int, batch_rows: int) -> ImportResult:
    from .importing.sheets import IMPORTERS, ImportContext

    previous = {s["kind"]: s for s in job.summary.get("sheets", [])} if resume_from else {}
    sheets = [
        SheetSummary(**previous[s.kind]) if s.kind in previous else SheetSummary(s.kind, s.name) for s in book.sheets
    ]
    for summary, source in zip(sheets, book.sheets, strict=True):
        summary.unknown_columns = source.header.unknown
    result = ImportResult(
        job, sheets, book.ignored_sheets, new_inquiries_before=job.summary.get("new_inquiries", 0) if resume_from else 0
    )
    if not resume_from:
        job.summary = {}
        job.rejected_rows.all().delete()
    job.total_rows = max(book.total_rows, resume_from)
    job.done_rows = resume_from
    job.summary = result.summary_json()
    job.save(update_fields=["total_rows", "done_rows", "summary"])

    context = ImportContext(by=job.created_by, tz=zoneinfo.ZoneInfo(settings.TIME_ZONE), now=timezone.now())
    position = 0
    for summary, source in zip(sheets, book.sheets, strict=True):
        importer = IMPORTERS[source.kind](context, source)
        rejected_before = (
            set(job.rejected_rows.filter(sheet=source.name).values_list("row_number", flat=True))
            if position < resume_from
            else set()
        )
        batch = []
        for number, cells in source.rows():
            position += 1
            row = importer.row(number, cells)
            if row.is_blank():
                continue
            if position <= resume_from:
                if number not in rejected_before:
                    importer.remember(row)
                continue
            batch.append(row)
            if len(batch) >= batch_rows:
                _import_batch(job, result, summary, importer, batch, position)
                batch = []
        if position > resume_from:
            _import_batch(job, result, summary, importer, batch, position)
    job.done_rows = position
    return result


def _import_batch(job: ImportJob, result: ImportResult, summary: SheetSummary, importer, rows, position: int) -> None:
    """Write one batch, its rejected rows and the job's progress in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Two imports of overlapping files take turns per batch instead of colliding on keys.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
                # The batch and the job's progress commit together, so a commit lost in a crash
                # of the database server is a batch the resumed job does again: no need to wait
                # for the disk at each batch.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        outcome = importer.import_batch(rows) if rows else None
        if outcome is not None:
            ImportRejectedRow.objects.bulk_create(
                [
                    ImportRejectedRow(
                        job=job,
                        sheet=importer.source.name[:100],
                        row_number=number,
                        column=problem.column[:100],
                        value=problem.value[:300],
                        message=problem.message,
                        params=problem.params,
                    )
                    for number, problems in sorted(outcome.rejected.items())
                    for problem in problems
                ],
                batch_size=1000,
            )
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.unchanged += outcome.unchanged
            summary.rejected += len(outcome.rejected)
            result.new_inquiry_ids.extend(outcome.new_inquiry_ids)
        ImportJob.objects.filter(pk=job.pk).update(
            done_rows=position, total_rows=max(job.total_rows, position), summary=result.summary_json()
        )


# Any fixed number: the key of the PostgreSQL advisory lock that serialises import batches.
IMPORT_LOCK_KEY = 0x1A1B_0003


def _import_finished(job: ImportJob, result: ImportResult) -> None:
    totals = {k: sum(getattr(s, k) for s in result.sheets) for k in ("created", "updated", "unchanged", "rejected")}
    with transaction.atomic():
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.total_rows = max(job.total_rows, job.done_rows)
        job.summary = result.summary_json()
        job.save(update_fields=["status", "finished_at", "done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.finish",
            target=job,
            summary=_(
                "Import of %(name)s done: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(rejected)s rejected"
            )
            % {"name": job.original_name, **totals},
            changes=job.summary,
        )
        if job.created_by is not None:
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=(
                    _("Import of %(name)s done: %(created)s created, %(updated)s updated, %(rejected)s rejected")
                    % {"name": job.original_name, **totals}
                )[:500],
                link=job.get_absolute_url(),
            )


def _import_failed(job: ImportJob, message: str, params: dict) -> None:
    with transaction.atomic():
        job.status = ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.error, job.error_params = message, params
        job.save(update_fields=["status", "finished_at", "error", "error_params"])
        job.refresh_from_db(fields=["done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.fail",
            target=job,
            summary=_("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text},
            changes={"error": message, "params": params},
        )
        if job.created_by is not None:
            message = _("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text}
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=message[:500],
                link=job.get_absolute_url(),
            )

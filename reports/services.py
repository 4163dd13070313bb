"""Workflows of the reports: computing and storing monthly reports, and the monthly email."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Account, CompanySettings, Notification, Role, User

from .formatting import scope_label
from .models import MonthlyReport
from .periods import MAX_WINDOW_DAYS, ReportParamError, ReportPeriod, add_months, month_label, month_of, parse_month
from .selectors import PAYLOAD_VERSION, attribution_report, monthly_report_stored, monthly_trends, resolve_scope

logger = logging.getLogger(__name__)

FINAL, PROVISIONAL = MonthlyReport.Status.FINAL, MonthlyReport.Status.PROVISIONAL
# A clock a little ahead of the database's is not "the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def report_period(
    *,
    month: dt.date,
    baseline: dt.date | None = None,
    window_days: int | None = None,
    as_of: dt.datetime | None = None,
    company: CompanySettings | None = None,
) -> ReportPeriod:
    """M, B (default M−1), w (default the company's) and T (default now), checked for sense."""
    if window_days is None:
        window_days = (company or CompanySettings.load()).attribution_window_days
    month = month.replace(day=1)
    baseline = (baseline or add_months(month, -1)).replace(day=1)
    now = timezone.now()
    as_of = as_of or now
    if timezone.is_naive(as_of):
        raise ReportParamError(_("The as-of time needs a time zone."))
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ReportParamError(
            _("The window must be between 1 and %(max)s days; got %(days)s.")
            % {"max": MAX_WINDOW_DAYS, "days": window_days}
        )
    if baseline >= month:
        raise ReportParamError(
            _("The baseline month %(baseline)s must come before the month %(month)s.")
            % {"baseline": month_label(baseline), "month": month_label(month)}
        )
    if as_of > now + FUTURE_TOLERANCE:
        raise ReportParamError(_("The as-of time cannot be in the future."))
    period = ReportPeriod(month=month, baseline=baseline, as_of=as_of, window_days=window_days)
    if as_of < period.start:
        raise ReportParamError(
            _("The month %(month)s had not begun at the as-of time.") % {"month": month_label(month)}
        )
    return period


def monthly_report_get(
    *,
    month: dt.date,
    baseline: dt.date | None = None,
    scope: str = "company",
    window_days: int | None = None,
    as_of: dt.datetime | None = None,
    recompute: bool = False,
    store: bool = False,
    by: User | None = None,
) -> MonthlyReport:
    """The attribution report of `month` (ATTRIBUTION.md): stored if final, else freshly computed.

    - month, baseline: any day of the month (the first is used); baseline defaults to month − 1.
    - scope: "company", "account:CODE" or "salesperson:USERNAME".
    - window_days: defaults to CompanySettings.attribution_window_days.
    - as_of: T, aware; defaults to now. Not in the future, not before the month began.
    - store: write the report (the scheduled job and operations' explicit recompute only; a
      reader never writes). Only a report as of now is stored; a final row is replaced only
      with `recompute` (the explicit request the contract asks for) or when it was stored in an
      older shape of the payload. `by` is recorded as who computed it.

    A final report (T ≥ start(M+1) + w) is returned as stored when there is one; otherwise it
    is computed, and returned unsaved (pk None) unless `store`. `report.payload` is the §8
    object plus extra keys (see reports.selectors.attribution_report); serve it through
    `report_payload(report)` so that `verdict.text` follows the reader's language. Raises
    ReportParamError (a ValueError with a message for the user) for bad parameters.
    """
    company = CompanySettings.load()
    resolved = resolve_scope(scope)
    period = report_period(month=month, baseline=baseline, window_days=window_days, as_of=as_of, company=company)
    key = {
        "month": period.month,
        "scope": resolved.key,
        "baseline": period.baseline,
        "window_days": period.window_days,
    }
    if period.status == FINAL and not recompute:
        stored = MonthlyReport.objects.filter(**key, status=FINAL).first()
        if stored is not None and is_current(stored):
            return stored
        recompute = stored is not None  # stored in an older shape: the job replaces it
    payload = attribution_report(period=period, scope=resolved, sla_hours=company.sales_sla_hours)
    values = {
        "as_of": period.as_of,
        "status": period.status,
        "payload": payload,
        "computed_at": timezone.now(),
        "computed_by": by if by is not None and by.pk else None,
    }
    if not store or as_of is not None:
        return MonthlyReport(**key, **values)
    return _report_store(key=key, values=values, recompute=recompute, by=by)


def is_current(report: MonthlyReport) -> bool:
    """Whether a stored report has the payload shape this code writes (ATTRIBUTION.md v2)."""
    return report.payload.get("payload_version") == PAYLOAD_VERSION


@transaction.atomic
def _report_store(*, key: dict, values: dict, recompute: bool, by: User | None) -> MonthlyReport:
    """Insert or update the one row of `key`; safe when two schedulers store at once."""
    row = MonthlyReport.objects.select_for_update().filter(**key).first()
    if row is None:
        try:
            with transaction.atomic():
                row = MonthlyReport.objects.create(**key, **values)
        except IntegrityError:
            # The other scheduler inserted first: take its row and carry on as an update.
            row = MonthlyReport.objects.select_for_update().get(**key)
        else:
            _audit_final(row, by=by, recomputed=False)
            return row
    if row.status == FINAL and is_current(row) and (not recompute or values["status"] != FINAL):
        return row
    was_final = row.status == FINAL
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=[*values])
    _audit_final(row, by=by, recomputed=was_final)
    return row


def _audit_final(report: MonthlyReport, *, by: User | None, recomputed: bool) -> None:
    # Provisional reports change every night; only freezing and re-opening a final one is audited.
    if report.status != FINAL:
        return
    audit_record(
        actor=by,
        action="report.recompute" if recomputed else "report.final",
        target=report,
        summary=(
            _("Final report %(month)s (%(scope)s) recomputed")
            if recomputed
            else _("Report %(month)s (%(scope)s) stored as final")
        )
        % {"month": month_label(report.month), "scope": scope_label(report.payload)},
        changes={"as_of": report.as_of.isoformat(), "window_days": report.window_days},
    )


# A report computed for a reader (none stored yet, or not of the stored kind) is kept this long in
# the cache, under its parameters: only the company's own window, so the keys stay a bounded set
# (months × baselines × scopes), each expiring.
READ_CACHE_SECONDS = 300


def monthly_report_read(*, month: dt.date, baseline: dt.date | None = None, scope: str = "company") -> MonthlyReport:
    """The report the pages show, never writing: the stored row of (month, scope, baseline, company
    window) with its trend lines when the scheduled job has stored a current one; otherwise the
    report counted now (unsaved, kept a few minutes in the cache). Raises ReportParamError for a
    month that has not begun or a baseline not before the month.
    """
    company = CompanySettings.load()
    resolved = resolve_scope(scope)
    period = report_period(month=month, baseline=baseline, company=company)
    report = monthly_report_stored(
        month=period.month, baseline=period.baseline, scope=resolved.key, window_days=period.window_days
    )
    if report is not None and is_current(report) and not (report.status == PROVISIONAL and period.status == FINAL):
        if "trends" not in report.payload:
            report.payload = {**report.payload, "trends": _trends(report)}
        return report
    labels = f"{month_label(period.month)}:{month_label(period.baseline)}"
    cache_key = f"report:{labels}:{resolved.key}:{period.window_days}:v{PAYLOAD_VERSION}"
    cached = cache.get(cache_key)
    if cached is not None:
        return MonthlyReport(**cached)
    report = monthly_report_get(month=period.month, baseline=period.baseline, scope=resolved.key)
    report.payload = {**report.payload, "trends": _trends(report)}
    cache.set(
        cache_key,
        {
            "month": report.month,
            "baseline": report.baseline,
            "scope": report.scope,
            "window_days": report.window_days,
            "as_of": report.as_of,
            "status": report.status,
            "payload": report.payload,
            "computed_at": report.computed_at,
        },
        READ_CACHE_SECONDS,
    )
    return report


def monthly_report_recompute(
    *, month: dt.date, baseline: dt.date | None = None, scope: str = "company", by: User
) -> MonthlyReport:
    """Operations' explicit request: count the report again as of now, overwrite the stored row
    (even a final one) and audit who asked."""
    with transaction.atomic():
        report = monthly_report_get(month=month, baseline=baseline, scope=scope, recompute=True, store=True, by=by)
        monthly_report_trends_attach(report=report)
        # A final row's recomputation is audited by _report_store; a provisional one's is audited here.
        if report.status == PROVISIONAL:
            audit_record(
                actor=by,
                action="report.recompute",
                target=report,
                summary=_("Provisional report %(month)s (%(scope)s) recomputed")
                % {"month": month_label(report.month), "scope": scope_label(report.payload)},
                changes={"as_of": report.as_of.isoformat(), "window_days": report.window_days},
            )
    return report


def monthly_report_trends_attach(*, report: MonthlyReport) -> MonthlyReport:
    """Keep the 12-month trend lines in a stored report, counted as of its own T, so that the page
    reads them instead of counting a year of inquiries on every view. An unsaved report just gets
    them; a stored one is updated only if nobody recomputed it meanwhile."""
    payload = {**report.payload, "trends": _trends(report)}
    if report.pk is not None:
        MonthlyReport.objects.filter(pk=report.pk, computed_at=report.computed_at).update(payload=payload)
    report.payload = payload
    return report


def _trends(report: MonthlyReport) -> list[dict]:
    return monthly_trends(
        end_month=report.month, scope=report.scope, as_of=report.as_of, window_days=report.window_days
    )


def reports_due_for_recompute(*, now: dt.datetime | None = None) -> list[dict]:
    """Keys (plain values) of the reports the nightly job stores: the canonical ones (the company
    and each active account, against the previous month, in the company's window) of every month
    still provisional (or final for less than a week, so that it gets frozen even after a missed
    night); every other stored provisional report (operations recomputed it); and every stored
    report written in an older shape of the payload."""
    now = now or timezone.now()
    window_days = CompanySettings.load().attribution_window_days
    default_months = []
    month = month_of(now)
    while _final_at(month, window_days) > now - dt.timedelta(days=7):
        default_months.append(month)
        month = add_months(month, -1)
    scopes = ["company"] + [
        f"account:{code}"
        for code in Account.objects.filter(is_active=True).values_list("code", flat=True).order_by("code")
    ]
    keys = [
        {"month": month_label(m), "scope": scope, "baseline": None, "window_days": None}
        for m in default_months
        for scope in scopes
    ]
    canonical = {(k["month"], k["scope"]) for k in keys}
    for row in MonthlyReport.objects.order_by("month", "scope", "baseline", "window_days"):
        is_default = (
            (month_label(row.month), row.scope) in canonical
            and row.baseline == add_months(row.month, -1)
            and row.window_days == window_days
        )
        if is_default or (row.status == FINAL and is_current(row)):
            continue
        keys.append(
            {
                "month": month_label(row.month),
                "scope": row.scope,
                "baseline": month_label(row.baseline),
                "window_days": row.window_days,
            }
        )
    return keys


def _final_at(month: dt.date, window_days: int) -> dt.datetime:
    return ReportPeriod(
        month=month, baseline=add_months(month, -1), as_of=timezone.now(), window_days=window_days
    ).final_at


def monthly_report_email(*, month: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Compute `month`'s company report (default: last month) and send it to the bosses once.

    Returns how many emails went out: 0 when this report was already sent (safe to run twice).
    """
    now = now or timezone.now()
    month = month or add_months(month_of(now), -1)
    report = monthly_report_get(month=month, store=True)
    # Claim, notify and send in one transaction: a failed send leaves nothing behind for the retry,
    # and a second run waits on the row lock, then finds the report already sent.
    with transaction.atomic():
        claimed = MonthlyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(emailed_at=now)
        if not claimed:
            return 0
        return _send_report_email(report)


def _send_report_email(report: MonthlyReport) -> int:
    payload = report.payload
    label = payload["month"]
    link = f"{settings.SITE_URL}/reports/{label}/"
    bosses = list(User.objects.filter(role=Role.BOSS, is_active=True))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Monthly report %(month)s: %(verdict)s") % {
            "month": label,
            "verdict": _verdict_headline(payload["verdict"]),
        }
        status_line = (
            _("Provisional: orders can still arrive until %(date)s.") % {"date": payload["final_on"]}
            if payload["status"] == PROVISIONAL
            else _("Final.")
        )
        body = "\n\n".join(
            [
                payload["verdict"]["texts"]["zh-hans"],
                payload["verdict"]["texts"]["en"],
                status_line,
                _("Open the report: %(link)s") % {"link": link},
            ]
        )
        Notification.objects.bulk_create(
            Notification(
                recipient=boss,
                kind=Notification.Kind.REPORT,
                message=_("The monthly report for %(month)s is ready.") % {"month": label},
                link=f"/reports/{label}/",
            )
            for boss in bosses
        )
    messages = [EmailMessage(subject=subject, body=body, to=[boss.email]) for boss in bosses if boss.email]
    if not messages:
        logger.warning("monthly report %s: no active boss has an email address", label)
        return 0
    return get_connection().send_messages(messages) or 0


def _verdict_headline(verdict: dict) -> str:
    if verdict["kind"] == "none":
        return _("no side made a difference")
    if verdict["side"] == "shared":
        return _("both sides equally")
    side = _("operations") if verdict["side"] == "operations" else _("sales")
    if verdict["kind"] == "blame":
        return _("mainly responsible: %(side)s") % {"side": side}
    return _("main credit: %(side)s") % {"side": side}


def month_param(text: str | None) -> dt.date | None:
    """'YYYY-MM' or None, for tasks that take plain values."""
    return parse_month(text) if text else None

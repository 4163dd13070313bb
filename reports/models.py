"""What the reports keep: Alibaba's reply-rate snapshots and the stored monthly reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReplyRateSnapshot(models.Model):
    """The reply rate Alibaba's back office showed for an account on a day (imported)."""

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="reply_rates"
    )
    date = models.DateField(_("date"))
    reply_rate = models.DecimalField(_("reply rate"), max_digits=5, decimal_places=4)
    avg_reply_hours = models.DecimalField(
        _("average reply time (hours)"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("reply-rate snapshot")
        verbose_name_plural = _("reply-rate snapshots")
        ordering = ["account", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="reply_rate_one_per_account_day"),
            models.CheckConstraint(
                condition=Q(reply_rate__gte=0) & Q(reply_rate__lte=1), name="reply_rate_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=Q(avg_reply_hours__isnull=True) | Q(avg_reply_hours__gte=0),
                name="reply_rate_hours_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.account.code} {self.date}: {self.reply_rate:.2%}"


class MonthlyReport(models.Model):
    """A computed attribution report; a final one is served as stored."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional")
        FINAL = "final", _("Final")

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    baseline = models.DateField(_("baseline month"))
    scope = models.CharField(_("scope"), max_length=200, default="company")
    window_days = models.PositiveIntegerField(_("window (days)"))
    as_of = models.DateTimeField(_("as of"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    payload = models.JSONField(_("report"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_at = models.DateTimeField(
        _("emailed to the boss"), null=True, blank=True, help_text=_("Set once, so the monthly email goes out once.")
    )

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "scope", "baseline", "window_days"], name="monthly_report_one_per_key"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.scope} ({self.get_status_display()})"

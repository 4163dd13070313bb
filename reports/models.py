"""What the reports keep: the stored monthly reports."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

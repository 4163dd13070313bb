"""Quality verdicts: the salesperson's flag and operations' decision on an inquiry."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import InvalidReason, Quality
from .inquiry import Inquiry


class QualityVerdict(models.Model):
    class Side(models.TextChoices):
        SALES = "sales", _("Salesperson's flag")
        OPERATIONS = "ops", _("Operations' decision")

    inquiry = models.ForeignKey(  # indexed by verdict_inquiry_side_idx
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    side = models.CharField(_("side"), max_length=5, choices=Side.choices)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Quality.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=InvalidReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("quality verdict")
        verbose_name_plural = _("quality verdicts")
        ordering = ["inquiry", "decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(verdict=Quality.INVALID) | ~Q(reason=""),
                name="verdict_invalid_needs_reason",
                violation_error_message=_("An invalid verdict needs a reason."),
            ),
        ]
        indexes = [models.Index(fields=["inquiry", "side", "decided_at"], name="verdict_inquiry_side_idx")]

    def __str__(self):
        return f"{self.inquiry}: {self.get_verdict_display()} ({self.get_side_display()})"

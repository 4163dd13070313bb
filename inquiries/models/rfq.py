"""RFQ quotes a salesperson sent on Alibaba.com's RFQ market."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RfqQuote(models.Model):
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="rfq_quotes"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rfq_quotes",
    )
    rfq_id = models.CharField(_("RFQ number"), max_length=100)
    quoted_at = models.DateTimeField(_("quoted"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("RFQ quote")
        verbose_name_plural = _("RFQ quotes")
        ordering = ["-quoted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["salesperson", "rfq_id"], name="rfq_quote_unique_per_salesperson"),
        ]
        indexes = [models.Index(fields=["salesperson", "quoted_at"], name="rfq_quote_sales_at_idx")]

    def __str__(self):
        return self.rfq_id

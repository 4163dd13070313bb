"""Orders won, from an inquiry or not (repeat and offline orders)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .inquiry import Inquiry


class Order(models.Model):
    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text=_("Empty for repeat and offline orders."),
        db_index=False,  # order_inquiry_won_idx
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # order_sales_won_idx
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    won_at = models.DateTimeField(_("won"))
    amount_usd = models.DecimalField(_("amount (USD)"), max_digits=14, decimal_places=2)
    trade_assurance = models.BooleanField(_("trade assurance"), default=False)
    original_currency = models.CharField(_("original currency"), max_length=3, blank=True)
    original_amount = models.DecimalField(_("original amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason cancelled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-won_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_usd__gte=0),
                name="order_amount_not_negative",
                violation_error_message=_("An order amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(original_amount__isnull=True) | Q(original_amount__gte=0),
                name="order_original_amount_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["inquiry", "won_at"], name="order_inquiry_won_idx"),
            models.Index(fields=["won_at"], name="order_won_idx"),
            models.Index(fields=["salesperson", "won_at"], name="order_sales_won_idx"),
        ]

    def __str__(self):
        return f"${self.amount_usd} {self.won_at:%Y-%m-%d}"

    def clean(self):
        # No order is won before its inquiry arrived: the monthly report counts on it.
        if self.inquiry_id and self.won_at and self.won_at < self.inquiry.received_at:
            raise ValidationError({"won_at": _("An order cannot be won before its inquiry arrived.")})

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

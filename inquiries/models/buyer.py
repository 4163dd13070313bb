"""Buyers: one record per real buyer, across accounts and months."""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Buyer(models.Model):
    """A real buyer, recognised across accounts and months by the keys of their inquiries."""

    name = models.CharField(_("buyer name"), max_length=200, blank=True)
    company = models.CharField(_("buyer company"), max_length=200, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        ordering = ["company", "name", "id"]

    def __str__(self):
        return self.company or self.name or self.email or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("inquiries:buyer_detail", args=[self.pk])


class BuyerKey(models.Model):
    """One normalised way of recognising a buyer (see inquiries/buyer_keys.py); a key belongs to
    one buyer, and a merge moves the merged buyer's keys to the one kept."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        COMPANY = "company", _("Company and country")

    buyer = models.ForeignKey(Buyer, verbose_name=_("buyer"), on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=300)

    class Meta:
        verbose_name = _("buyer key")
        verbose_name_plural = _("buyer keys")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="buyer_key_unique")]

    def __str__(self):
        return f"{self.kind}:{self.value}"

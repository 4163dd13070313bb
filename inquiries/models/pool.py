"""The public pool (公海): its rule, the accounts' own clocks and its history."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inquiry import Inquiry


class PoolSettings(models.Model):
    """The company's pool rule; one row, created on first use. Accounts may override the clock."""

    enabled = models.BooleanField(_("public pool on"), default=True)
    stale_days = models.PositiveIntegerField(
        _("days without follow-up"),
        default=7,
        help_text=_("An open inquiry with no follow-up or allocation for this many days goes to the pool."),
    )
    warn_hours = models.PositiveIntegerField(
        _("warn the owner (hours before)"), default=24, help_text=_("0: no warning.")
    )
    daily_claim_limit = models.PositiveIntegerField(
        _("claims a day per salesperson"),
        default=10,
        help_text=_("0: salespeople cannot claim, only operations allocate."),
    )
    cooldown_days = models.PositiveIntegerField(_("days before the one who let it go may claim it back"), default=3)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("pool rule")
        verbose_name_plural = _("pool rules")

    def __str__(self):
        return str(_("Pool rule"))

    @classmethod
    def load(cls) -> "PoolSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class PoolAccountRule(models.Model):
    """An account's own pool clock, in place of the company's."""

    account = models.OneToOneField(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="pool_rule"
    )
    enabled = models.BooleanField(_("public pool on"), default=True)
    stale_days = models.PositiveIntegerField(_("days without follow-up"), default=7)
    warn_hours = models.PositiveIntegerField(_("warn the owner (hours before)"), default=24)

    class Meta:
        verbose_name = _("account pool rule")
        verbose_name_plural = _("account pool rules")

    def __str__(self):
        return f"{self.account}: {self.stale_days}"


class PoolEvent(models.Model):
    """An inquiry going into the pool or coming out of it: the pool's own history.

    A claim or an allocation from the pool is also an ordinary Allocation (the owner as of T);
    a recycling is not one: the owner stays answerable until someone else takes the inquiry.
    """

    class Kind(models.TextChoices):
        RECYCLED = "recycled", _("Returned to the pool")
        CLAIMED = "claimed", _("Claimed from the pool")
        ALLOCATED = "allocated", _("Allocated from the pool")

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="pool_events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The one who let it go (recycled), or who took it (claimed, allocated).
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="pool_events"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for the scheduled job."),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.CharField(_("why"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        ordering = ["inquiry", "at", "id"]
        indexes = [
            models.Index(fields=["salesperson", "kind", "at"], name="pool_event_sales_kind_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.inquiry_id}"

"""Who has an inquiry (Allocation, the history the owner as of T is read from) and the rules
that allocate an account's new inquiries without anyone clicking."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inquiry import Inquiry


class Allocation(models.Model):
    class Reason(models.TextChoices):
        MANUAL = "manual", _("Manual")
        RULE = "rule", _("Rule")
        DEADLINE = "deadline", _("Reply deadline passed")
        IMPORT = "import", _("Import")
        HAND_OVER = "hand_over", _("Account handed over")
        CLAIM = "claim", _("Claimed from the pool")
        POOL = "pool", _("Allocated from the pool")

    # Indexed by allocation_latest_idx and allocation_sales_at_idx.
    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="allocations", db_index=False
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="allocations",
        db_index=False,
    )  # fmt: skip
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("allocated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="allocations_made",
        help_text=_("Empty for rules and imports."),
    )
    assigned_at = models.DateTimeField(_("allocated at"), default=timezone.now)
    reason = models.CharField(_("why"), max_length=10, choices=Reason.choices, default=Reason.MANUAL)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["inquiry", "assigned_at", "id"]
        indexes = [
            # The owner as of T is the first entry per inquiry, read from the index alone (reports).
            models.Index(
                fields=["inquiry", "-assigned_at", "-id"], include=["salesperson"], name="allocation_latest_idx"
            ),
            models.Index(fields=["salesperson", "assigned_at"], name="allocation_sales_at_idx"),
        ]

    def __str__(self):
        return f"{self.inquiry} → {self.salesperson}"


class AllocationRule(models.Model):
    """How an account's new inquiries are allocated without anyone clicking."""

    class Mode(models.TextChoices):
        MANUAL = "manual", _("Manual: operations allocate by hand")
        ROUND_ROBIN = "round_robin", _("Round robin among the chosen salespeople")
        CONVERSION = "conversion", _("Weighted by conversion over the last 90 days")

    account = models.OneToOneField(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="allocation_rule"
    )
    mode = models.CharField(_("allocation"), max_length=20, choices=Mode.choices, default=Mode.MANUAL)
    same_buyer = models.BooleanField(
        _("same buyer, same salesperson"),
        default=True,
        help_text=_("A buyer who wrote before goes to the salesperson who had them, as Alibaba.com does."),
    )
    reallocate_overdue = models.BooleanField(
        _("reallocate when the reply deadline passes"),
        default=False,
        help_text=_("An inquiry nobody replied to in time goes to the next salesperson."),
    )
    # Round robin continues after this salesperson, across batches and days.
    last_salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation rule")
        verbose_name_plural = _("allocation rules")

    def __str__(self):
        return f"{self.account}: {self.get_mode_display()}"

    @property
    def is_automatic(self) -> bool:
        return self.mode != self.Mode.MANUAL


class AllocationRuleMember(models.Model):
    """A salesperson in a rule's pool, with the most inquiries a day the rules may give them."""

    rule = models.ForeignKey(AllocationRule, on_delete=models.CASCADE, related_name="members")
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        on_delete=models.CASCADE,
        related_name="allocation_memberships",
    )
    daily_capacity = models.PositiveIntegerField(
        _("daily capacity"),
        null=True,
        blank=True,
        help_text=_("Most inquiries a day this salesperson receives (all allocations count); empty: no limit."),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rule member")
        verbose_name_plural = _("rule members")
        ordering = ["rule", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "salesperson"], name="rule_member_once"),
        ]

    def __str__(self):
        return f"{self.rule.account_id}: {self.salesperson}"


class AllocationRoute(models.Model):
    """Inquiries from a country, or about a product keyword, go to one salesperson."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        KEYWORD = "keyword", _("Product keyword")

    rule = models.ForeignKey(AllocationRule, on_delete=models.CASCADE, related_name="routes")
    kind = models.CharField(_("route by"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=100)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["rule", "position", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value} → {self.salesperson}"

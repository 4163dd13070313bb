"""Inquiries and everything that happens to them: allocation, follow-ups, quality verdicts,
orders and RFQ quotes.

Fields marked "maintained by services" are copies kept on the inquiry row for fast lists and
reports; only the functions in inquiries/services/ write them.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    INQUIRY = "inquiry", _("Store inquiry")
    TM = "tm", _("TradeManager chat")
    RFQ = "rfq", _("RFQ")


class Quality(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class InvalidReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    NO_REQUIREMENT = "no_requirement", _("No concrete requirement")
    WRONG_CUSTOMER = "wrong_customer", _("Wrong customer type")
    NO_RESPONSE = "no_response", _("Buyer never answered")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class InquiryState(models.TextChoices):
    NEW = "new", _("New")
    REPLIED = "replied", _("Replied")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    DISPUTED = "disputed", _("Disputed")
    INVALID = "invalid", _("Invalid")


class InquiryQuerySet(models.QuerySet):
    def inbound(self):
        return self.exclude(source=Source.RFQ)


class Inquiry(models.Model):
    # Foreign keys without an index of their own where a composite index starts with the same
    # column (see Meta.indexes): one index fewer to write per row, the same lookups served.
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="inquiries",
        db_index=False,
    )  # fmt: skip
    external_id = models.CharField(_("inquiry number"), max_length=100)
    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.INQUIRY)
    buyer_name = models.CharField(_("buyer name"), max_length=200, blank=True)
    buyer_company = models.CharField(_("buyer company"), max_length=200, blank=True)
    buyer_email = models.EmailField(_("buyer email"), max_length=254, blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=50, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 alpha-2 code."))
    product = models.CharField(_("product"), max_length=300, blank=True)
    quantity = models.CharField(_("quantity"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    message = models.TextField(_("message"), blank=True)
    rfq_quote = models.ForeignKey(
        "RfqQuote",
        verbose_name=_("RFQ quote"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )

    # Maintained by services.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_inquiries",
        db_index=False,  # inquiry_owner_received_idx
    )
    owner_since = models.DateTimeField(
        _("owner since"),
        null=True,
        blank=True,
        help_text=_("When the latest allocation took effect: the owner as of any later instant is the owner."),
    )
    first_allocated_at = models.DateTimeField(_("first allocated"), null=True, blank=True)
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue"), null=True, blank=True)
    # The chat warning of a near deadline: given once per owner (a later allocation re-arms it).
    deadline_warned_at = models.DateTimeField(_("deadline warning sent"), null=True, blank=True)
    quality = models.CharField(
        _("quality"), max_length=10, choices=Quality.choices, blank=True, help_text=_("The verdict as it stands now.")
    )
    state = models.CharField(_("state"), max_length=10, choices=InquiryState.choices, default=InquiryState.NEW)
    lost_reason = models.CharField(_("reason lost"), max_length=300, blank=True)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_action_on = models.DateField(
        _("next follow-up"), null=True, blank=True, help_text=_("The plan of the latest follow-up.")
    )
    # The public pool (公海): the owner stays the owner (the report's attribution) while it waits.
    buyer = models.ForeignKey(
        "Buyer", verbose_name=_("buyer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    pooled_at = models.DateTimeField(
        _("in the pool since"),
        null=True,
        blank=True,
        help_text=_("Returned to the public pool for want of follow-up; others may claim it."),
    )
    pool_warned_at = models.DateTimeField(_("pool warning sent"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="inquiry_unique_id_per_account"),
        ]
        indexes = [
            models.Index(fields=["received_at"], name="inquiry_received_idx"),
            models.Index(fields=["owner", "received_at"], name="inquiry_owner_received_idx"),
            models.Index(fields=["account", "received_at"], name="inquiry_account_received_idx"),
            models.Index(fields=["state", "received_at"], name="inquiry_state_received_idx"),
            models.Index(fields=["received_at"], condition=Q(owner__isnull=True), name="inquiry_unassigned_idx"),
            models.Index(fields=["buyer_email"], name="inquiry_buyer_email_idx"),
            models.Index(fields=["owner", "next_action_on"], name="inquiry_owner_next_action_idx"),
            # The workbench (see bench/list_bench.py for the plans they serve):
            # sorting or filtering the list by country;
            models.Index(fields=["country", "received_at"], name="inquiry_country_received_idx"),
            # the unassigned queue, oldest first, and its count in the header;
            models.Index(
                fields=["received_at"],
                condition=Q(owner__isnull=True, state="new") & ~Q(source="rfq"),
                name="inquiry_queue_idx",
            ),
            # the quality disputes waiting for operations;
            models.Index(fields=["received_at"], condition=Q(state="disputed"), name="inquiry_disputed_idx"),
            # the reply-deadline job: allocated, unanswered, not yet marked;
            models.Index(
                fields=["reply_due_at"],
                condition=Q(owner__isnull=False, first_reply_at__isnull=True, overdue_at__isnull=True),
                name="inquiry_deadline_watch_idx",
            ),
            # "same buyer, same salesperson", whatever the case of the address.
            models.Index(Lower("buyer_email"), name="inquiry_buyer_email_lower_idx"),
            # the public pool, newest arrivals in it first.
            models.Index(fields=["pooled_at"], condition=Q(pooled_at__isnull=False), name="inquiry_pool_idx"),
            # a salesperson's header counts, tabs (in their order) and country choices, from the index alone
            # (their inquiries lie scattered over the table in order of arrival);
            models.Index(
                fields=["owner", "state", "reply_due_at", "next_action_on", "received_at"],
                include=["country", "id"],
                condition=Q(pooled_at__isnull=True),
                name="inquiry_owner_work_idx",
            ),
            # the inquiries a salesperson was warned will go to the pool: a handful among thousands.
            models.Index(
                fields=["owner"],
                condition=Q(pool_warned_at__isnull=False, pooled_at__isnull=True),
                name="inquiry_pool_warned_idx",
            ),
        ]

    def __str__(self):
        return f"{self.account.code}/{self.external_id}" if self.account_id else self.external_id

    def get_absolute_url(self):
        return reverse("inquiries:detail", args=[self.pk])

    def clean(self):
        # No order is won before its inquiry arrived: the monthly report counts on it.
        if self.pk is not None and self.received_at is not None:
            won = self.orders.filter(won_at__lt=self.received_at).aggregate(first=models.Min("won_at"))["first"]
            if won is not None:
                raise ValidationError(
                    {
                        "received_at": _("An order of this inquiry was won earlier, at %(won_at)s.")
                        % {"won_at": timezone.localtime(won).strftime("%Y-%m-%d %H:%M")}
                    }
                )

    @property
    def is_inbound(self) -> bool:
        return self.source != Source.RFQ

    @property
    def is_overdue(self) -> bool:
        return (
            self.first_reply_at is None
            and self.reply_due_at is not None
            and self.reply_due_at < timezone.now()
            and self.state in (InquiryState.NEW,)
        )


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


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        QUOTE = "quote", _("Quote")
        SAMPLE = "sample", _("Sample")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        NOTE = "note", _("Note")

    # Kinds that answer the buyer, and so start the reply-rate clock.
    REPLY_KINDS = frozenset({Kind.REPLY, Kind.QUOTE, Kind.EMAIL, Kind.CALL})

    # Indexed by followup_inquiry_at_idx and followup_next_action_idx.
    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="followups", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="followups",
        db_index=False,
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    happened_at = models.DateTimeField(_("time"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    next_action_on = models.DateField(_("next action"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["inquiry", "happened_at", "id"]
        indexes = [
            models.Index(fields=["inquiry", "happened_at"], name="followup_inquiry_at_idx"),
            models.Index(fields=["author", "next_action_on"], name="followup_next_action_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.inquiry}"


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


class FormSubmission(models.Model):
    """A one-time token of a form the salesperson submitted: a second submit of the same form is
    recognised and does not write twice, however fast the two requests arrive."""

    token = models.UUIDField(_("form token"), unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return str(self.token)


# ---------------------------------------------------------------------------------------------
# Allocation rules, one set per account


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


# ---------------------------------------------------------------------------------------------
# Buyers: one record per real buyer, across accounts and months


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


# ---------------------------------------------------------------------------------------------
# The public pool (公海)


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


# ---------------------------------------------------------------------------------------------
# Exports of the inquiry list


class InquiryExport(models.Model):
    """A file of the inquiry list under one filter, written by a background job when large."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("job status", "Waiting")
        RUNNING = "running", _("Writing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="inquiry_exports"
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    query = models.CharField(_("filter"), max_length=2000, blank=True, help_text=_("The list's query string."))
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("inquiry export")
        verbose_name_plural = _("inquiry exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_user_created_idx")]

    def __str__(self):
        return f"{self.get_format_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("inquiries:export_download", args=[self.pk])


def import_upload_to(instance, filename: str) -> str:
    """Uploaded files are kept under MEDIA_ROOT/imports/, named by us, never by the uploader."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".xlsx", ".xls", ".csv"):
        suffix = ""
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    """One import of a workbook or csv file: who, when, the kept file, progress and the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job status", "Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        # Stopped before any row: a sheet's columns must be mapped once by operations.
        MAPPING = "mapping", _("Columns to map")

    class Kind(models.TextChoices):
        XLSX = "xlsx", _("Excel workbook")
        CSV = "csv", _("CSV file")
        # Named .xls: BIFF8, or what some exports name so (xlsx, an html table, csv), told by content.
        XLS = "xls", _("Excel 97-2003 file (.xls)")

    class Origin(models.TextChoices):
        BROWSER = "browser", _("Browser")
        COMMAND = "command", _("Command line")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    origin = models.CharField(_("from"), max_length=10, choices=Origin.choices, default=Origin.BROWSER)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    sheet = models.CharField(_("sheet"), max_length=20, blank=True, help_text=_("The sheet a csv file holds."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written by the running job at its start and with each batch: a running job whose heartbeat
    # is older than IMPORT_HEARTBEAT_STALE_SECONDS has lost its worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # The reason a whole file was refused: an English message id and its values, shown translated.
    error = models.CharField(_("error"), max_length=500, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    mapping = models.ForeignKey(
        "ColumnMapping",
        verbose_name=_("column mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        help_text=_(
            "Named on the command line (import_workbook --mapping); "
            "the file's header row must be the one it was made for."
        ),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="import_job_status_idx")]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self):
        return reverse("inquiries:import_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.MAPPING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.done_rows * 100 // self.total_rows)

    @property
    def worker_lost(self) -> bool:
        """Running, but its worker has given no sign of life for IMPORT_HEARTBEAT_STALE_SECONDS."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at
        return last is not None and last < timezone.now() - dt.timedelta(
            seconds=settings.IMPORT_HEARTBEAT_STALE_SECONDS
        )

    @property
    def error_text(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.error) % self.error_params if self.error else ""


class ImportRejectedRow(models.Model):
    """A problem that kept one row of an import out: sheet, row as the spreadsheet numbers it, column, why.

    A row with several problems has one record for each, so that all can be fixed at once.
    """

    job = models.ForeignKey(ImportJob, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejected_rows")
    sheet = models.CharField(_("sheet"), max_length=100)
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=300, blank=True)
    # An English message id and its values, translated when shown, so each reader gets their language.
    message = models.CharField(_("reason"), max_length=300)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["job", "id"]
        indexes = [models.Index(fields=["job", "id"], name="import_rejected_job_idx")]

    def __str__(self):
        return f"{self.sheet}:{self.row_number} {self.column}"

    @property
    def reason(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.message) % self.params


class ColumnMapping(models.Model):
    """How to read a sheet whose headers the importer does not know: made once, applied by its headers.

    `columns` has one entry per header cell, in order: the column key of `sheet_kind`, or "" to ignore.
    """

    class Zone(models.TextChoices):
        COMPANY = "company", _("Company time zone")
        PACIFIC = "America/Los_Angeles", _("Alibaba back office, US Pacific")

    name = models.CharField(_("name"), max_length=100, unique=True)
    signature = models.CharField(_("header signature"), max_length=40, unique=True)
    sheet_kind = models.CharField(_("kind of sheet"), max_length=20)
    headers = models.JSONField(_("headers"), default=list)
    columns = models.JSONField(_("columns"), default=list)
    time_zone = models.CharField(_("time zone of the file"), max_length=40, choices=Zone.choices, default=Zone.COMPANY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(header as the file spells it, our column or "") for each column of the file."""
        return list(zip(self.headers, self.columns, strict=False))

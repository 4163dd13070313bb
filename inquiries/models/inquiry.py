"""The inquiry: one buyer's message on one Alibaba.com account.

Fields marked "maintained by services" are copies kept on the inquiry row for fast lists and
reports; only the functions in inquiries/services/ write them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import InquiryState, Quality, Source


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

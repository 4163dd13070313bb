"""Follow-ups: what a salesperson did about an inquiry and plans next."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inquiry import Inquiry


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

"""The choices an inquiry's fields take, shared by the models, services and reports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

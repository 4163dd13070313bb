import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from inquiryhub.tables import BaseTable

from .models import Inquiry


class InquiryTable(BaseTable):
    external_id = tables.Column(linkify=True, verbose_name=_("Inquiry"))
    account = tables.Column(accessor="account__code", verbose_name=_("Account"))
    owner = tables.Column(verbose_name=_("Salesperson"), default="—")
    state = tables.Column(verbose_name=_("State"))

    class Meta(BaseTable.Meta):
        model = Inquiry
        fields = (
            "external_id",
            "received_at",
            "account",
            "source",
            "country",
            "product",
            "buyer_name",
            "owner",
            "state",
        )
        empty_text = _("No inquiries match.")

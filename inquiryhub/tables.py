"""The base every table in InquiryHub stands on: one look, one pagination, one empty state."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table"}
        empty_text = _("Nothing here yet.")
        per_page = 50

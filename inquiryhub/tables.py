"""The base every table in InquiryHub stands on: one look, one pagination, one empty state."""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext_lazy as _

# ?per_page= is the reader's to choose, up to this: a page of 100,000 rows would take the
# server seconds and megabytes to render (issue 13). Every table's pagination goes through here.
MAX_PER_PAGE = 200
# Beyond this, ?page= is not a page anyone reached by clicking: an offset of 10^22 rows is out of
# the database's range (bigint), so the answer is "no such page" before any query.
MAX_PAGE = 1_000_000


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table"}
        empty_text = _("Nothing here yet.")
        per_page = 50

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """Paginate with the page size capped at MAX_PER_PAGE; a page past MAX_PAGE is a 404."""
        per_page = min(max(per_page or self._meta.per_page, 1), MAX_PER_PAGE)
        if isinstance(page, int) and page > MAX_PAGE:
            raise Http404(_("No such page."))
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

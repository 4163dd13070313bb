"""The audit trail's filters (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, User

# Every action a service records, with its label; the filter offers these rather than reading
# the distinct actions of a table that only grows.
AUDIT_ACTIONS = {
    "inquiry.allocate": _("Inquiry allocated"),
    "followup.log": _("Follow-up"),
    "quality.flag": _("Invalid flag"),
    "quality.decide": _("Quality verdict"),
    "order.record": _("Order recorded"),
    "order.update": _("Order changed"),
    "order.cancel": _("Order cancelled"),
    "inquiry.lost": _("Marked lost"),
    "inquiry.rfq_link": _("RFQ link"),
    "inquiry.overdue": _("Reply overdue"),
    "inquiry.import_update": _("Inquiry updated by an import"),
    "inquiry.export": _("Export"),
    "rfq.quote": _("RFQ quote"),
    "rule.save": _("Allocation rule"),
    "import.upload": _("Import started"),
    "import.finish": _("Import finished"),
    "import.fail": _("Import failed"),
    "account.create": _("Account added"),
    "account.update": _("Account changed"),
    "account.hand_over": _("Account handed over"),
    "account.import_create": _("Account added by an import"),
    "account.import_update": _("Account changed by an import"),
    "team.create": _("Team member added"),
    "team.update": _("Team member changed"),
    "team.password_set": _("Password set for a team member"),
    "user.import_create": _("Team member added by an import"),
    "user.import_update": _("Team member changed by an import"),
    "settings.update": _("Company settings"),
    "report.final": _("Report stored as final"),
    "report.recompute": _("Final report recomputed"),
    "admin.add": _("Added in the admin"),
    "admin.change": _("Changed in the admin"),
    "admin.delete": _("Deleted in the admin"),
}


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        choices=list(AUDIT_ACTIONS.items()), label=_("Action"), empty_label=_("All actions")
    )
    actor = django_filters.ModelChoiceFilter(
        queryset=User.objects.by_name(), label=_("By"), empty_label=_("All people")
    )
    when = django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label=_("Date"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    inquiry = django_filters.NumberFilter(
        field_name="inquiry_id", label=_("Inquiry no."), widget=forms.NumberInput(attrs={"min": 1})
    )
    target = django_filters.CharFilter(
        field_name="target_id",
        label=_("Object id"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 1024")}),
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "when", "inquiry", "target"]

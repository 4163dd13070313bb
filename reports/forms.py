"""The report's parameters, as the command line and the query string give them (ATTRIBUTION.md §7)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .periods import MAX_WINDOW_DAYS, ReportParamError, add_months, month_label, parse_instant, parse_month
from .selectors import ScopeError, resolve_scope
from .services import report_period


class ReportParamsForm(forms.Form):
    """month, baseline, as_of, window_days and one of account / salesperson, checked together.

    cleaned_data gives what `monthly_report_get` takes: month and baseline as dates, as_of as
    an aware datetime or None, window_days or None, and scope as a string.
    """

    month = forms.CharField(label=gettext_lazy("month"), max_length=7)
    baseline = forms.CharField(label=gettext_lazy("baseline month"), max_length=7, required=False)
    as_of = forms.CharField(label=gettext_lazy("as of"), max_length=40, required=False)
    window_days = forms.IntegerField(
        label=gettext_lazy("window (days)"), min_value=1, max_value=MAX_WINDOW_DAYS, required=False
    )
    account = forms.CharField(label=gettext_lazy("account code"), max_length=100, required=False)
    salesperson = forms.CharField(label=gettext_lazy("salesperson"), max_length=150, required=False)

    def clean_month(self):
        return self._parse(parse_month, self.cleaned_data["month"])

    def clean_baseline(self):
        value = self.cleaned_data.get("baseline")
        return self._parse(parse_month, value) if value else None

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        return self._parse(parse_instant, value) if value else None

    def clean(self):
        data = super().clean()
        account, salesperson = data.get("account"), data.get("salesperson")
        if account and salesperson:
            raise forms.ValidationError(_("Give an account or a salesperson, not both."))
        scope = f"account:{account}" if account else f"salesperson:{salesperson}" if salesperson else "company"
        try:
            resolve_scope(scope)
        except ScopeError as exc:
            self.add_error("salesperson" if salesperson else "account", str(exc))
            return data
        data["scope"] = scope
        if self.errors or "month" not in data:
            return data
        try:
            report_period(
                month=data["month"],
                baseline=data.get("baseline"),
                window_days=data.get("window_days"),
                as_of=data.get("as_of"),
            )
        except ReportParamError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    @staticmethod
    def _parse(parse, value):
        try:
            return parse(value)
        except ReportParamError as exc:
            raise forms.ValidationError(str(exc)) from None

    def first_error(self) -> str:
        """The form's errors as one line, for a command's stderr or a JSON error."""
        parts = []
        for name, errors in self.errors.items():
            for error in errors:
                parts.append(error if name == "__all__" else f"{name}: {error}")
        return "; ".join(parts)


class ReportChoicesForm(forms.Form):
    """The report page's GET choices: what to compare the month with, and whose report.

    cleaned_data gives `baseline` (a date, None for the previous month) and `scope`.
    """

    PREVIOUS, LAST_YEAR, MONTH = "previous", "last_year", "month"
    compare = forms.ChoiceField(
        label=gettext_lazy("Compare with"),
        required=False,
        choices=[
            (PREVIOUS, gettext_lazy("Previous month")),
            (LAST_YEAR, gettext_lazy("Same month last year")),
            (MONTH, gettext_lazy("Another month")),
        ],
    )
    baseline = forms.CharField(
        label=gettext_lazy("Baseline month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    account = forms.ChoiceField(label=gettext_lazy("Account"), required=False)

    def __init__(self, *args, month, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.month = month
        self.accounts = accounts
        self.fields["account"].choices = [("", _("Whole company"))] + [
            (account.code, str(account)) for account in accounts
        ]

    def clean(self):
        data = super().clean()
        compare = data.get("compare") or self.PREVIOUS
        data["compare"] = compare
        baseline = None
        if compare == self.LAST_YEAR:
            baseline = add_months(self.month, -12)
        elif compare == self.MONTH:
            text = data.get("baseline")
            if not text:
                self.add_error("baseline", _("Choose the month to compare with."))
                return data
            try:
                baseline = parse_month(text)
            except ReportParamError as exc:
                self.add_error("baseline", str(exc))
                return data
            if baseline >= self.month:
                self.add_error(
                    "baseline",
                    _("The baseline month %(baseline)s must come before the month %(month)s.")
                    % {"baseline": month_label(baseline), "month": month_label(self.month)},
                )
                return data
        data["baseline_month"] = baseline
        account = data.get("account")
        data["scope"] = f"account:{account}" if account else "company"
        return data

    def query(self) -> dict:
        """The choices as query parameters (for the export links and the recompute form)."""
        data = self.cleaned_data
        params = {}
        if data["compare"] != self.PREVIOUS:
            params["compare"] = data["compare"]
        if data["compare"] == self.MONTH:
            params["baseline"] = month_label(data["baseline_month"])
        if data.get("account"):
            params["account"] = data["account"]
        return params


class DrilldownForm(forms.Form):
    """The figure a link on the report stands for: the month's inquiries as of T (in the path and
    `as_of`), at a funnel stage, of an account and of an owner as of T, or the RFQ line."""

    KINDS = ("inquiries", "quotes")

    as_of = forms.CharField(max_length=40)
    window_days = forms.IntegerField(min_value=1, max_value=MAX_WINDOW_DAYS)
    stage = forms.ChoiceField(choices=[(s, s) for s in ("inquiries", "valid", "replied", "won")], required=False)
    account = forms.IntegerField(min_value=1, required=False)
    owner = forms.CharField(max_length=20, required=False)
    rfq = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], required=False)

    def clean_as_of(self):
        try:
            return parse_instant(self.cleaned_data["as_of"])
        except ReportParamError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_owner(self):
        value = (self.cleaned_data.get("owner") or "").strip()
        if not value:
            return None
        if value == "none" or value.isdigit():
            return value if value == "none" else int(value)
        raise forms.ValidationError(_("The owner is a user id or none."))

    def clean(self):
        data = super().clean()
        data["stage"] = data.get("stage") or "inquiries"
        data["kind"] = data.get("kind") or "inquiries"
        return data

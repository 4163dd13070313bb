"""The operations manager's pages for the team, the Alibaba.com accounts and the company settings,
and everyone's notifications."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inquiryhub.client import client_address, within_rate
from inquiryhub.forms import form_add_validation_error

from . import services
from .filters import AUDIT_ACTIONS, AuditEventFilter
from .forms import (
    AccountCreateForm,
    AccountForm,
    CompanySettingsForm,
    HandOverForm,
    TeamMemberCreateForm,
    TeamMemberForm,
)
from .models import Account, AuditEvent, CompanySettings, User
from .permissions import OVERSEERS, ops_manager_required, role_required
from .selectors import account_holdings, audit_change_lines, audit_events_page

HOUR = 60 * 60


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, rate-limited: each request sends an e-mail through our server.

    Past PASSWORD_RESET_PER_ADDRESS requests an hour from one client the form answers 429; past
    PASSWORD_RESET_PER_EMAIL for one address it answers as usual but sends nothing, so that the
    answer says no more about which addresses exist than before.
    """

    def form_valid(self, form):
        address = client_address(self.request)
        if not within_rate(f"reset-client:{address}", limit=settings.PASSWORD_RESET_PER_ADDRESS, seconds=HOUR):
            form.add_error(None, _("Too many password reset requests from your address. Try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = form.cleaned_data["email"].strip().lower()
        if not within_rate(f"reset-email:{email}", limit=settings.PASSWORD_RESET_PER_EMAIL, seconds=HOUR):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@login_required
def notification_list(request):
    """The user's own notifications, newest first."""
    page = Paginator(request.user.notifications.select_related("inquiry"), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


# ---------------------------------------------------------------------------------------------
# The team (the team page itself, with each salesperson's inquiry counts, is composed above the
# apps in inquiryhub/views.py)


@ops_manager_required
def member_create(request):
    form = TeamMemberCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.team_member_create(
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                display_name=data["display_name"],
                email=data["email"],
                rfq_quota=data["rfq_quota"],
                by=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_add_validation_error(form, exc)
            else:
                form.add_error("password1", exc.messages)
        else:
            messages.success(request, _("%(name)s joined the team.") % {"name": member.label})
            return redirect("accounts:team")
    return render(request, "accounts/member_form.html", {"form": form, "member": None, "tab": "team"})


@ops_manager_required
def member_edit(request, pk: int):
    member = get_object_or_404(User, pk=pk)
    initial = {name: getattr(member, name) for name in services.TEAM_MEMBER_FIELDS}
    form = TeamMemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data["role"] != "sales":
            data["rfq_quota"] = None
        try:
            services.team_member_update(member=member, by=request.user, **data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": member.label})
            return redirect("accounts:team")
    return render(request, "accounts/member_form.html", {"form": form, "member": member, "tab": "team"})


@ops_manager_required
@require_POST
def member_away(request, pk: int):
    """The away switch, in one click from the team list."""
    member = get_object_or_404(User, pk=pk)
    away = request.POST.get("away") == "1"
    services.team_member_update(member=member, by=request.user, is_away=away)
    if away:
        messages.success(request, _("%(name)s is away: the rules skip them.") % {"name": member.label})
    else:
        messages.success(request, _("%(name)s is back.") % {"name": member.label})
    return redirect("accounts:team")


# ---------------------------------------------------------------------------------------------
# The accounts (their list, with this month's inquiries, is composed in inquiryhub/views.py)


@ops_manager_required
def account_create(request):
    form = AccountCreateForm(request.POST or None, initial={"kind": "main", "parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Account %(code)s added.") % {"code": account.code})
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "tab": "accounts"})


@ops_manager_required
def account_detail(request, pk: int):
    """One account: its details, the hand-over form (confirmed by inquiries' hand-over page), and who
    held it when."""
    account = get_object_or_404(Account.objects.select_related("parent"), pk=pk)
    holdings = list(account_holdings(account))
    current = next((h for h in holdings if h.ended_at is None), None)
    edit_form = AccountForm(initial={"name": account.name, "is_active": account.is_active}, prefix="edit")
    hand_form = HandOverForm(initial={"to": current.holder_id if current else None}, prefix="hand")
    if request.method == "POST" and request.POST.get("action") == "edit":
        edit_form = AccountForm(request.POST, prefix="edit")
        if edit_form.is_valid():
            services.account_update(account=account, by=request.user, **edit_form.cleaned_data)
            messages.success(request, _("Account %(code)s saved.") % {"code": account.code})
            return redirect("accounts:account_detail", pk=account.pk)
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "holdings": holdings,
            "current": current,
            "edit_form": edit_form,
            "hand_form": hand_form,
            "tab": "accounts",
        },
    )


# ---------------------------------------------------------------------------------------------
# Company settings


@ops_manager_required
def company_settings(request):
    """The reply deadline, the attribution window and the sales SLA."""
    current = CompanySettings.load()
    form = CompanySettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.company_settings_update(by=request.user, **{f: form.cleaned_data[f] for f in form.Meta.fields})
        messages.success(request, _("Company settings saved."))
        return redirect("accounts:company_settings")
    return render(request, "accounts/company_settings.html", {"form": form, "tab": "settings"})


# ---------------------------------------------------------------------------------------------
# The audit trail


@role_required(*OVERSEERS)
def audit_list(request):
    """Every audited write, newest first, filtered; read-only (the admin cannot edit it either)."""
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.all())
    # A filter with errors lists nothing rather than everything, and says why beside the field.
    events = filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
    page = audit_events_page(events, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "accounts/audit_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": [
                (event, AUDIT_ACTIONS.get(event.action, event.action), audit_change_lines(event.changes))
                for event in page.events
            ],
            "query": query.urlencode(),
        },
    )

from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_site import RoleModelAdmin
from .models import (
    Account,
    AccountHolding,
    AlibabaName,
    AlibabaStaffMonth,
    AuditEvent,
    ChatContact,
    ChatRobot,
    CompanySettings,
    Notification,
    OutboxMessage,
    ReplyRateSnapshot,
    User,
)

# What the team page edits, and so what the admin changes only through its service.
TEAM_FIELDS = set(services.TEAM_MEMBER_FIELDS)


@admin.register(User)
class UserAdmin(RoleModelAdmin, DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "is_away", "rfq_quota", "last_login")
    list_filter = ("role", "is_active", "is_away")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("role", "rfq_quota", "is_active", "is_away")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "role", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    add_form = UserCreationForm  # a first password always, as on the team page

    # The admin applies the team page's rules and audit (issue 13): what the team page edits goes
    # through team_member_update (no changing one's own role or switching oneself off; a
    # `team.update` audit row), a new person through team_member_create, a password through
    # team_member_set_password (audited; the operations manager sets only his team's).

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.pk == request.user.pk:
            readonly = (*readonly, "role", "is_active")  # as on the team page
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            created = services.team_member_create(
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                display_name=data.get("display_name", ""),
                by=request.user,
            )
            obj.pk = created.pk
            obj.refresh_from_db()  # the admin goes on with obj: its log entry, the redirect
            return
        team_fields = {name: form.cleaned_data[name] for name in form.changed_data if name in TEAM_FIELDS}
        if team_fields:
            services.team_member_update(member=User.objects.get(pk=obj.pk), by=request.user, **team_fields)
        others = [name for name in form.changed_data if name not in TEAM_FIELDS]
        if others:
            obj.save(update_fields=others)
            self._audit_change(request, obj, form, others)

    def user_change_password(self, request, id, form_url=""):
        """Set a password through the service: its rule on whose, and its audit row."""
        member = self.get_object(request, unquote(id))
        if member is None:
            raise Http404
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        if not services.team_member_may_set_password(member=member, by=request.user):
            raise PermissionDenied
        form = self.change_password_form(member, request.POST or None)
        if request.method == "POST" and form.is_valid():
            usable = form.cleaned_data.get("set_usable_password", True)
            password = form.cleaned_data["password1"] if usable else None
            services.team_member_set_password(member=member, by=request.user, password=password)
            messages.success(request, gettext("Password changed successfully."))
            if member.pk == request.user.pk:
                update_session_auth_hash(request, member)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[member.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change password: %s") % member.get_username(),
            "adminForm": AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),
            "form_url": form_url,
            "form": form,
            "is_popup": False,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": member,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)


class HoldingInline(admin.TabularInline):
    model = AccountHolding
    fk_name = "account"
    extra = 0
    raw_id_fields = ("holder", "assigned_by")

    def has_add_permission(self, request, obj=None):
        return False  # hand-overs go through the hand-over action, which closes the old holding

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(RoleModelAdmin):
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    inlines = [HoldingInline]


@admin.register(AccountHolding)
class AccountHoldingAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("account", "holder", "started_at", "ended_at")
    list_filter = ("account",)
    search_fields = ("account__code", "holder__username")
    list_select_related = ("account", "holder")


@admin.register(CompanySettings)
class CompanySettingsAdmin(RoleModelAdmin):
    list_display = ("__str__", "attribution_window_days", "reply_deadline_hours", "sales_sla_hours")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not CompanySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("created_at", "recipient", "kind", "message", "read_at")
    list_filter = ("kind",)
    search_fields = ("message", "recipient__username")
    raw_id_fields = ("recipient", "inquiry")
    list_select_related = ("recipient",)


@admin.register(AuditEvent)
class AuditEventAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("created_at", "actor", "action", "summary")
    list_filter = ("action",)
    search_fields = ("summary", "actor__username", "target_id")
    raw_id_fields = ("actor", "inquiry")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"


# Linked and imported through the import pages (audited there); read-only here.
@admin.register(AlibabaName)
class AlibabaNameAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("name", "person", "created_at")
    search_fields = ("name", "person__username", "person__display_name")
    list_select_related = ("person",)


@admin.register(AlibabaStaffMonth)
class AlibabaStaffMonthAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("month", "person", "alibaba_name", "inquiries", "reply_rate", "ta_orders", "revenue_usd")
    list_filter = ("month",)
    search_fields = ("alibaba_name", "person__username", "person__display_name")
    list_select_related = ("person",)


# Chat alerts: read-only here. Robots are changed on their own page, which checks the address
# against the official hosts and audits without the credentials; the admin never shows those.


@admin.register(ChatRobot)
class ChatRobotAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("name", "kind", "is_default", "is_active", "failing_since", "last_error")
    list_filter = ("kind", "is_active")
    exclude = ("webhook_url", "secret", "recent_posts")


@admin.register(ChatContact)
class ChatContactAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("user", "robot", "wecom_userid", "mobile", "language")
    list_select_related = ("user", "robot")
    raw_id_fields = ("user",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("created_at", "event", "recipient", "robot", "status", "attempts", "last_error")
    list_filter = ("status", "event")
    list_select_related = ("recipient", "robot")
    raw_id_fields = ("recipient",)


@admin.register(ReplyRateSnapshot)
class ReplyRateSnapshotAdmin(RoleModelAdmin):
    list_display = ("account", "date", "reply_rate", "avg_reply_hours")
    list_filter = ("account",)
    search_fields = ("account__code",)
    list_select_related = ("account",)
    date_hierarchy = "date"

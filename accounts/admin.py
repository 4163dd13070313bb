from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from inquiryhub.admin import RoleModelAdmin

from .models import (
    Account,
    AccountHolding,
    AuditEvent,
    ChatContact,
    ChatRobot,
    CompanySettings,
    Notification,
    OutboxMessage,
    User,
)


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

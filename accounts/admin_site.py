"""The admin site: the operations manager edits, the boss reads, nobody else gets in.

Who gets in is a matter of the team's roles, and writes through the admin leave an audit row
like every other write: both belong to accounts, the lowest app, which every app's admin.py
imports `RoleModelAdmin` from. Fields that services maintain (owner, first reply, state...) are
read-only in the apps' admins so the admin cannot bypass them.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters

from .audit import audit_record
from .models import OVERSEERS, Role


class InquiryHubAdminSite(admin.AdminSite):
    site_header = "InquiryHub"
    site_title = "InquiryHub"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or user.role in OVERSEERS)


class RoleModelAdmin(admin.ModelAdmin):
    """Operations manager: full rights. Boss: view only. Every save and delete is audited."""

    read_only_for_all = False

    def _is_manager(self, request):
        return request.user.is_active and (request.user.is_superuser or request.user.role == Role.OPS_MANAGER)

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request):
        return self._is_manager(request) and not self.read_only_for_all

    def has_change_permission(self, request, obj=None):
        return self._is_manager(request) and not self.read_only_for_all

    def has_delete_permission(self, request, obj=None):
        return self._is_manager(request) and not self.read_only_for_all

    def get_changelist_instance(self, request):
        # A date-hierarchy year or month past a C int (?created_at__year=2147483648) overflows in
        # datetime() rather than failing as a bad lookup: answer it as the admin answers bad lookups.
        try:
            return super().get_changelist_instance(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._audit_change(request, obj, form, form.changed_data, action=f"admin.{'change' if change else 'add'}")

    def _audit_change(self, request, obj, form, fields, *, action="admin.change"):
        audit_record(
            actor=request.user,
            action=action,
            target=obj,
            summary=f"{obj._meta.verbose_name}: {obj}",
            changes={name: str(form.cleaned_data.get(name)) for name in fields},
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="admin.delete", target=obj, summary=f"{obj._meta.verbose_name}: {obj}")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(
                actor=request.user, action="admin.delete", target=obj, summary=f"{obj._meta.verbose_name}: {obj}"
            )
        super().delete_queryset(request, queryset)

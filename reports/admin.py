from django.contrib import admin

from accounts.admin_site import RoleModelAdmin

from .models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("month", "scope", "baseline", "window_days", "status", "as_of", "computed_at", "emailed_at")
    list_filter = ("status", "scope")

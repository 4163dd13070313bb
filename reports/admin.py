from django.contrib import admin

from inquiryhub.admin import RoleModelAdmin

from .models import MonthlyReport, ReplyRateSnapshot


@admin.register(ReplyRateSnapshot)
class ReplyRateSnapshotAdmin(RoleModelAdmin):
    list_display = ("account", "date", "reply_rate", "avg_reply_hours")
    list_filter = ("account",)
    search_fields = ("account__code",)
    list_select_related = ("account",)
    date_hierarchy = "date"


@admin.register(MonthlyReport)
class MonthlyReportAdmin(RoleModelAdmin):
    read_only_for_all = True
    list_display = ("month", "scope", "baseline", "window_days", "status", "as_of", "computed_at", "emailed_at")
    list_filter = ("status", "scope")

from django.contrib import admin

from accounts.admin_site import RoleModelAdmin

from .models import (
    Allocation,
    AllocationRoute,
    AllocationRule,
    AllocationRuleMember,
    Buyer,
    BuyerKey,
    ColumnMapping,
    FollowUp,
    FormSubmission,
    ImportJob,
    ImportRejectedRow,
    Inquiry,
    InquiryExport,
    Order,
    PoolAccountRule,
    PoolEvent,
    PoolSettings,
    QualityVerdict,
    RfqQuote,
)


class ServiceWrittenAdmin(RoleModelAdmin):
    """History rows are written by the services (with their audit trail); the admin only reads them."""

    read_only_for_all = True


@admin.register(Inquiry)
class InquiryAdmin(RoleModelAdmin):
    list_display = ("external_id", "account", "received_at", "source", "country", "owner", "state")
    list_filter = ("state", "source", "account")
    search_fields = ("external_id", "buyer_name", "buyer_company", "buyer_email", "product", "subject")
    raw_id_fields = ("account", "rfq_quote", "buyer")
    readonly_fields = (
        "owner",
        "pooled_at",
        "pool_warned_at",
        "first_allocated_at",
        "first_reply_at",
        "reply_due_at",
        "overdue_at",
        "quality",
        "state",
        "lost_at",
        "lost_reason",
        "created_at",
        "updated_at",
    )
    list_select_related = ("account", "owner")
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(Allocation)
class AllocationAdmin(ServiceWrittenAdmin):
    list_display = ("inquiry", "salesperson", "allocated_by", "assigned_at", "reason")
    list_filter = ("reason",)
    search_fields = ("inquiry__external_id", "salesperson__username")
    raw_id_fields = ("inquiry", "salesperson", "allocated_by")
    list_select_related = ("inquiry__account", "salesperson", "allocated_by")
    show_full_result_count = False


@admin.register(FollowUp)
class FollowUpAdmin(ServiceWrittenAdmin):
    list_display = ("inquiry", "kind", "author", "happened_at", "next_action_on")
    list_filter = ("kind",)
    search_fields = ("inquiry__external_id", "note")
    raw_id_fields = ("inquiry", "author")
    list_select_related = ("inquiry__account", "author")
    show_full_result_count = False


@admin.register(QualityVerdict)
class QualityVerdictAdmin(ServiceWrittenAdmin):
    list_display = ("inquiry", "side", "verdict", "reason", "decided_by", "decided_at")
    list_filter = ("side", "verdict", "reason")
    search_fields = ("inquiry__external_id", "note")
    raw_id_fields = ("inquiry", "decided_by")
    list_select_related = ("inquiry__account", "decided_by")


@admin.register(Order)
class OrderAdmin(ServiceWrittenAdmin):
    list_display = ("won_at", "amount_usd", "trade_assurance", "salesperson", "account", "inquiry", "cancelled_at")
    list_filter = ("trade_assurance", "account")
    search_fields = ("inquiry__external_id", "note")
    raw_id_fields = ("inquiry", "salesperson", "account", "created_by")
    list_select_related = ("inquiry__account", "salesperson", "account")
    date_hierarchy = "won_at"


@admin.register(RfqQuote)
class RfqQuoteAdmin(ServiceWrittenAdmin):
    list_display = ("rfq_id", "salesperson", "account", "quoted_at")
    search_fields = ("rfq_id", "salesperson__username")
    raw_id_fields = ("salesperson", "account")
    list_select_related = ("salesperson", "account")


# Rules, imports and exports have their own pages (with their services and audit rows); the admin
# shows them read-only so that nothing bypasses those pages.


class RuleMemberInline(admin.TabularInline):
    model = AllocationRuleMember
    extra = 0
    raw_id_fields = ("salesperson",)
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RouteInline(RuleMemberInline):
    model = AllocationRoute


@admin.register(AllocationRule)
class AllocationRuleAdmin(ServiceWrittenAdmin):
    list_display = ("account", "mode", "same_buyer", "reallocate_overdue", "updated_at", "updated_by")
    list_filter = ("mode",)
    search_fields = ("account__code",)
    list_select_related = ("account", "updated_by")
    inlines = [RuleMemberInline, RouteInline]


@admin.register(ImportJob)
class ImportJobAdmin(ServiceWrittenAdmin):
    list_display = ("id", "original_name", "kind", "status", "created_by", "created_at", "done_rows", "total_rows")
    list_filter = ("status", "kind", "origin")
    search_fields = ("original_name", "created_by__username")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"


@admin.register(ImportRejectedRow)
class ImportRejectedRowAdmin(ServiceWrittenAdmin):
    list_display = ("job", "sheet", "row_number", "column", "message")
    search_fields = ("message", "value")
    raw_id_fields = ("job",)
    show_full_result_count = False


@admin.register(InquiryExport)
class InquiryExportAdmin(ServiceWrittenAdmin):
    list_display = ("id", "requested_by", "format", "status", "row_count", "created_at")
    list_filter = ("status", "format")
    list_select_related = ("requested_by",)


@admin.register(FormSubmission)
class FormSubmissionAdmin(ServiceWrittenAdmin):
    list_display = ("token", "user", "created_at")
    raw_id_fields = ("user",)


@admin.register(AllocationRuleMember)
class AllocationRuleMemberAdmin(ServiceWrittenAdmin):
    list_display = ("rule", "salesperson", "daily_capacity", "position")
    list_select_related = ("rule__account", "salesperson")


@admin.register(AllocationRoute)
class AllocationRouteAdmin(ServiceWrittenAdmin):
    list_display = ("rule", "kind", "value", "salesperson")
    list_filter = ("kind",)
    list_select_related = ("rule__account", "salesperson")


@admin.register(ColumnMapping)
class ColumnMappingAdmin(ServiceWrittenAdmin):
    list_display = ("name", "sheet_kind", "time_zone", "created_by", "created_at", "last_used_at")
    list_filter = ("sheet_kind", "time_zone")
    search_fields = ("name",)
    list_select_related = ("created_by",)


# ---------------------------------------------------------------------------------------------
# Buyers and the public pool: written by their services and pages (merge, settings), read here.


class BuyerKeyInline(admin.TabularInline):
    model = BuyerKey
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "value")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Buyer)
class BuyerAdmin(ServiceWrittenAdmin):
    list_display = ("id", "company", "name", "email", "country", "created_at")
    search_fields = ("company", "name", "email", "phone", "keys__value")
    list_filter = ("country",)
    inlines = [BuyerKeyInline]
    show_full_result_count = False


@admin.register(BuyerKey)
class BuyerKeyAdmin(ServiceWrittenAdmin):
    list_display = ("kind", "value", "buyer")
    list_filter = ("kind",)
    search_fields = ("value",)
    raw_id_fields = ("buyer",)
    list_select_related = ("buyer",)
    show_full_result_count = False


@admin.register(PoolSettings)
class PoolSettingsAdmin(ServiceWrittenAdmin):
    list_display = ("enabled", "stale_days", "warn_hours", "daily_claim_limit", "cooldown_days", "updated_at")


@admin.register(PoolAccountRule)
class PoolAccountRuleAdmin(ServiceWrittenAdmin):
    list_display = ("account", "enabled", "stale_days", "warn_hours")
    list_select_related = ("account",)


@admin.register(PoolEvent)
class PoolEventAdmin(ServiceWrittenAdmin):
    list_display = ("inquiry", "kind", "salesperson", "by", "at", "reason")
    list_filter = ("kind",)
    search_fields = ("inquiry__external_id", "salesperson__username")
    raw_id_fields = ("inquiry", "salesperson", "by")
    list_select_related = ("inquiry__account", "salesperson", "by")
    date_hierarchy = "at"
    show_full_result_count = False

from django.urls import path

from .views import browse, imports, pool, workbench, workspace

app_name = "inquiries"

urlpatterns = [
    path("", browse.inquiry_list, name="list"),
    path("<int:pk>/", browse.inquiry_detail, name="detail"),
    # The salesperson's workspace.
    path("mine/", workspace.my_inquiry_list, name="mine"),
    path("<int:pk>/follow-ups/new/", workspace.followup_create, name="followup_create"),
    path("<int:pk>/flag/", workspace.quality_flag_create, name="flag"),
    path("<int:pk>/orders/new/", workspace.order_create, name="order_create"),
    path("<int:pk>/lost/", workspace.inquiry_lost, name="mark_lost"),
    path("<int:pk>/rfq-quote/", workspace.rfq_link, name="rfq_link"),
    path("orders/<int:pk>/edit/", workspace.order_edit, name="order_edit"),
    path("orders/<int:pk>/cancel/", workspace.order_cancel, name="order_cancel"),
    path("rfq/", workspace.rfq_quote_list, name="rfq_quotes"),
    # Operations' workbench
    path("queue/", workbench.queue, name="queue"),
    path("allocate/", workbench.allocate, name="allocate"),
    path("<int:pk>/reassign/", workbench.reassign, name="reassign"),
    path("disputes/", workbench.disputes, name="disputes"),
    path("<int:pk>/decide/", workbench.decide, name="decide"),
    path("accounts/<int:pk>/hand-over/", workbench.account_hand_over, name="account_hand_over"),
    path("rules/", workbench.rules, name="rules"),
    path("rules/preview/", workbench.rules_preview, name="rules_preview"),
    path("rules/<int:account_pk>/", workbench.rule_edit, name="rule_edit"),
    path("export/", workbench.export, name="export"),
    path("exports/", workbench.exports, name="exports"),
    path("exports/<int:pk>/", workbench.export_download, name="export_download"),
    # The public pool and buyers
    path("pool/", pool.pool_list, name="pool"),
    path("pool/<int:pk>/claim/", pool.pool_claim, name="pool_claim"),
    path("pool/allocate/", pool.pool_allocate, name="pool_allocate"),
    path("pool/settings/", pool.pool_settings, name="pool_settings"),
    path("buyers/mine/", pool.my_buyers, name="my_buyers"),
    path("buyers/<int:pk>/", pool.buyer_detail, name="buyer_detail"),
    path("buyers/<int:pk>/merge/", pool.buyer_merge, name="buyer_merge"),
    # Imports
    path("imports/", imports.import_list, name="imports"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/template.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/status.json", imports.import_status, name="import_status"),
    path("imports/<int:pk>/rejected.csv", imports.import_rejected_csv, name="import_rejected_csv"),
    path("imports/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/mappings/", imports.mapping_list, name="import_mappings"),
    path("imports/mappings/<int:pk>/rename/", imports.mapping_rename, name="import_mapping_rename"),
    path("imports/mappings/<int:pk>/delete/", imports.mapping_delete, name="import_mapping_delete"),
    path("imports/alibaba-names/", imports.alibaba_name_list, name="alibaba_names"),
    path("imports/alibaba-names/<int:pk>/delete/", imports.alibaba_name_delete, name="alibaba_name_delete"),
]

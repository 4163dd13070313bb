from django.urls import path

from .views import browse, workbench

app_name = "inquiries"

urlpatterns = [
    path("", browse.inquiry_list, name="list"),
    path("<int:pk>/", browse.inquiry_detail, name="detail"),
    # Operations' workbench
    path("queue/", workbench.queue, name="queue"),
    path("allocate/", workbench.allocate, name="allocate"),
    path("<int:pk>/reassign/", workbench.reassign, name="reassign"),
    path("disputes/", workbench.disputes, name="disputes"),
    path("<int:pk>/decide/", workbench.decide, name="decide"),
    path("rules/", workbench.rules, name="rules"),
    path("rules/preview/", workbench.rules_preview, name="rules_preview"),
    path("rules/<int:account_pk>/", workbench.rule_edit, name="rule_edit"),
    path("export/", workbench.export, name="export"),
    path("exports/", workbench.exports, name="exports"),
    path("exports/<int:pk>/", workbench.export_download, name="export_download"),
]

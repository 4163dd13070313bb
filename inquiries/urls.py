from django.urls import path

from .views import browse, imports

app_name = "inquiries"

urlpatterns = [
    path("", browse.inquiry_list, name="list"),
    path("<int:pk>/", browse.inquiry_detail, name="detail"),
    path("imports/", imports.import_list, name="imports"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/template.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/status.json", imports.import_status, name="import_status"),
    path("imports/<int:pk>/rejected.csv", imports.import_rejected_csv, name="import_rejected_csv"),
]

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.team, name="team"),
    path("people/new/", views.member_create, name="member_create"),
    path("people/<int:pk>/", views.member_edit, name="member_edit"),
    path("people/<int:pk>/away/", views.member_away, name="member_away"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("settings/", views.company_settings, name="company_settings"),
    path("audit/", views.audit_list, name="audit"),
    path("notifications/", views.notification_list, name="notifications"),
]

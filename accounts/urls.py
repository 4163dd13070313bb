from django.urls import path

from . import views
from .notify import views as chat

app_name = "accounts"

urlpatterns = [
    # "" (team) and "accounts/" (accounts): the pages with inquiry counts, in inquiryhub/urls.py.
    path("people/new/", views.member_create, name="member_create"),
    path("people/<int:pk>/", views.member_edit, name="member_edit"),
    path("people/<int:pk>/away/", views.member_away, name="member_away"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("settings/", views.company_settings, name="company_settings"),
    path("audit/", views.audit_list, name="audit"),
    path("notifications/", views.notification_list, name="notifications"),
    # Chat alerts (WeCom and DingTalk robots)
    path("chat/robots/", chat.robot_list, name="robots"),
    path("chat/robots/new/", chat.robot_create, name="robot_create"),
    path("chat/robots/<int:pk>/", chat.robot_edit, name="robot_edit"),
    path("chat/robots/<int:pk>/test/", chat.robot_test, name="robot_test"),
    path("chat/log/", chat.deliveries, name="deliveries"),
    path("chat/log/<int:pk>/resend/", chat.delivery_resend, name="delivery_resend"),
    path("people/<int:pk>/chat/", chat.member_chat, name="member_chat"),
    path("chat/mine/", chat.my_alerts, name="my_alerts"),
]

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class InquiryHubConfig(AppConfig):
    name = "inquiryhub"
    verbose_name = "InquiryHub"


class InquiryHubAdminConfig(AdminConfig):
    default_site = "inquiryhub.admin.InquiryHubAdminSite"

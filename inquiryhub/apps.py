from django.apps import AppConfig


class InquiryHubConfig(AppConfig):
    name = "inquiryhub"
    verbose_name = "InquiryHub"

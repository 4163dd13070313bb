from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # of the two configs here, the one INSTALLED_APPS' "accounts" means
    name = "accounts"
    verbose_name = _("Team and accounts")


class AccountsAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the team's roles (accounts/admin_site.py)."""

    default = False
    default_site = "accounts.admin_site.InquiryHubAdminSite"

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.views import PasswordResetView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before Django's own, which it replaces: the same page, rate-limited.
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The team and account pages show inquiry counts: composed here, above the apps.
    path(
        "team/",
        include(
            (
                [
                    path("", views.team, name="team"),
                    path("accounts/", views.account_list, name="accounts"),
                    *accounts_urls.urlpatterns,
                ],
                accounts_urls.app_name,
            )
        ),
    ),
    path("inquiries/", include("inquiries.urls")),
    path("reports/", include("reports.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = "InquiryHub"
admin.site.site_title = "InquiryHub"

handler400 = "inquiryhub.errors.bad_request"
handler403 = "inquiryhub.errors.permission_denied"
handler404 = "inquiryhub.errors.page_not_found"
handler500 = "inquiryhub.errors.server_error"

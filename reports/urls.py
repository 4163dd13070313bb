from django.urls import path, register_converter

from .converters import MonthConverter
from .views import api, drilldown, mine, monthly

register_converter(MonthConverter, "report_month")

app_name = "reports"

urlpatterns = [
    path("", monthly.report_month, name="index"),
    path("this-month/", monthly.report_this_month, name="this_month"),
    path("<report_month:month>/", monthly.report_month, name="month"),
    path("<report_month:month>/report.pdf", monthly.report_pdf, name="pdf"),
    path("<report_month:month>/report.xlsx", monthly.report_xlsx, name="xlsx"),
    path("<report_month:month>/recompute/", monthly.report_recompute, name="recompute"),
    path("<report_month:month>.json", api.month_json, name="month_json"),
    path("<report_month:month>/inquiries/", drilldown.cohort_list, name="drilldown"),
    # The salesperson's own month.
    path("me/", mine.my_month, name="mine"),
    path("me/<report_month:month>/", mine.my_month, name="mine_month"),
]

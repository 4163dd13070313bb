from django.urls import path, register_converter

from . import views
from .converters import MonthConverter

register_converter(MonthConverter, "report_month")

app_name = "reports"

urlpatterns = [
    path("<report_month:month>.json", views.month_json, name="month_json"),
]

from django.urls import path

from .views import browse

app_name = "inquiries"

urlpatterns = [
    path("", browse.inquiry_list, name="list"),
    path("<int:pk>/", browse.inquiry_detail, name="detail"),
]

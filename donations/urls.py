from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("", views.donate, name="donate"),
]

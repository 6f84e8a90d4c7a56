from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("", views.donate, name="donate"),
    path("thanks/", views.thanks, name="thanks"),
    path("test-checkout/<str:token>/", views.test_checkout, name="test_checkout"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
    path("<slug:slug>/", views.donate, name="campaign"),
]

"""URLs of the roulette app (the roulette issue fills these in)."""

from django.urls import path
from django.views.generic import RedirectView

app_name = "roulette"
urlpatterns = [
    path("", RedirectView.as_view(url="/"), name="table"),
    path("wheel/", RedirectView.as_view(url="/"), name="wheel"),
]

"""URLs of the chess app (the live-chess issue fills these in)."""

from django.urls import path
from django.views.generic import RedirectView

app_name = "chess"
urlpatterns = [path("", RedirectView.as_view(url="/"), name="lobby")]

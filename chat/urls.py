"""URLs of the chat app (the chat issue fills these in)."""

from django.urls import path
from django.views.generic import RedirectView

app_name = "chat"
urlpatterns = [path("", RedirectView.as_view(url="/"), name="rooms")]

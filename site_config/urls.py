"""URL configuration: site pages, visitors' pages, admin and one include per app."""

from django.contrib import admin
from django.urls import include, path

from site_config import home

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("site_config.visitors.urls")),
    path("healthz", home.health, name="health"),
    path("readyz", home.readiness, name="readiness"),
    path("favicon.ico", home.favicon),
    path("chat/", include("chat.urls")),
    path("roulette/", include("roulette.urls")),
    path("chess/", include("chess.urls")),
    path("admin/", admin.site.urls),
]

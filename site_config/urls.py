"""URL configuration: site pages, visitors' pages, admin and one include per app."""

from django.contrib import admin
from django.urls import include, path

from site_config import home
from site_config.visitors.ratelimits import login_guarded

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("site_config.visitors.urls")),
    path("healthz", home.health, name="health"),
    path("readyz", home.readiness, name="readiness"),
    path("favicon.ico", home.favicon),
    path("chat/", include("chat.urls")),
    path("roulette/", include("roulette.urls")),
    path("chess/", include("chess.urls")),
    # The admin's login checks passwords too: the same limits as the site's.
    path("admin/login/", login_guarded(admin.site.login)),
    path("admin/", admin.site.urls),
]

# A bad request (a bad Host among others) gets the site's page, never a 500.
handler400 = "site_config.errors.bad_request"

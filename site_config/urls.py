"""URL configuration: site pages, accounts, admin and one include per app."""

from django.contrib import admin
from django.urls import include, path

from site_config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("name/", views.choose_name, name="choose_name"),
    path("accounts/signup/", views.sign_up, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("healthz", views.health, name="health"),
    path("favicon.ico", views.favicon),
    path("chat/", include("chat.urls")),
    path("roulette/", include("roulette.urls")),
    path("chess/", include("chess.urls")),
    path("admin/", admin.site.urls),
]

"""The display-name form and the account pages."""

from django.urls import path

from site_config.visitors import views

urlpatterns = [
    path("name/", views.choose_name, name="choose_name"),
    path("accounts/signup/", views.sign_up, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
]

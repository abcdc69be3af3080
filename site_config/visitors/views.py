"""The display-name form, sign-up, login and logout."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from site_config.visitors.forms import DisplayNameForm, SignUpForm
from site_config.visitors.identity import (
    SESSION_NAME_KEY,
    guest_name_claim,
    guest_name_release,
    identity_from_request,
    session_rekey,
)
from site_config.visitors.ratelimits import (
    NAME_CLAIM,
    SIGNUP_IP,
    login_guarded,
    rate_limited,
)


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/") -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return default


@require_http_methods(["GET", "POST"])
@rate_limited(NAME_CLAIM)
def choose_name(request: HttpRequest) -> HttpResponse:
    """Pick a guest display name (PRG); account holders use their username."""
    identity = identity_from_request(request)
    if identity.is_authenticated:
        messages.info(request, "You are signed in; your username is your name.")
        return redirect(safe_next(request, request.GET.get("next")))
    if request.method == "POST":
        form = DisplayNameForm(request.POST, session_key=identity.session_key)
        # identity_from_request saved the session: it has a key from here on.
        assert identity.session_key is not None
        if form.is_valid():
            try:
                guest = guest_name_claim(
                    session_key=identity.session_key, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:  # lost a race for the name
                form.add_error("name", exc)
            else:
                request.session[SESSION_NAME_KEY] = guest.name
                messages.success(request, f"Welcome, {guest.name}.")
                return redirect(safe_next(request, form.cleaned_data.get("next")))
    else:
        form = DisplayNameForm(
            initial={"name": identity.name or "", "next": request.GET.get("next", "")},
            session_key=identity.session_key,
        )
    return render(request, "identity/name.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited(SIGNUP_IP)
def sign_up(request: HttpRequest) -> HttpResponse:
    identity = identity_from_request(request)
    if request.method == "POST":
        form = SignUpForm(request.POST, session_key=identity.session_key)
        if form.is_valid():
            user = form.save()
            login(request, user)
            session_rekey(old=identity.session_key, new=request.session.session_key)
            messages.success(request, f"Welcome, {user.get_username()}.")
            return redirect(safe_next(request, request.GET.get("next")))
    else:
        form = SignUpForm(session_key=identity.session_key)
    return render(request, "registration/signup.html", {"form": form})


@method_decorator(login_guarded, name="post")
class LoginView(auth_views.LoginView):
    """Django's login, keeping the visitor's seats and wallet across the new key."""

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        session_rekey(old=old_key, new=self.request.session.session_key)
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        guest_name_release(session_key=request.session.session_key)
        return super().post(request, *args, **kwargs)

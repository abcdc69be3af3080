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
    account_visitor_link,
    guest_name_claim,
    identity_from_request,
    visitor_from_request,
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
        form = DisplayNameForm(request.POST, visitor_id=identity.visitor_id)
        if form.is_valid():
            visitor_id = visitor_from_request(request).visitor_id
            assert visitor_id is not None
            try:
                guest = guest_name_claim(
                    visitor_id=visitor_id, name=form.cleaned_data["name"]
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
            visitor_id=identity.visitor_id,
        )
    return render(request, "identity/name.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited(SIGNUP_IP)
def sign_up(request: HttpRequest) -> HttpResponse:
    identity = identity_from_request(request)
    if request.method == "POST":
        form = SignUpForm(request.POST, visitor_id=identity.visitor_id)
        if form.is_valid():
            user = form.save()
            # login() keeps the session data: the guest's visitor id, so their
            # seats and bankroll, carry over; the account adopts that id.
            login(request, user)
            account_visitor_link(request.session, user)
            messages.success(request, f"Welcome, {user.get_username()}.")
            return redirect(safe_next(request, request.GET.get("next")))
    else:
        form = SignUpForm(visitor_id=identity.visitor_id)
    return render(request, "registration/signup.html", {"form": form})


@method_decorator(login_guarded, name="post")
class LoginView(auth_views.LoginView):
    """Django's login, then the session takes its account's visitor id (see
    `account_visitor_link`: what the visitor held as a guest stays theirs)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        account_visitor_link(self.request.session, form.get_user())
        return response


class LogoutView(auth_views.LogoutView):
    """Django's logout. The session is flushed: this browser is a new visitor from
    now on, and the account keeps its visitor id and everything it holds. (Its
    guest name was released when it signed in.)"""

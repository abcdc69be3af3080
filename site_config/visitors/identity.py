"""Who is this? One answer for views and WebSocket consumers alike.

A visitor is identified by their session: account holders by their username, guests
by the display name they chose (kept in the session and reserved in `Guest`). The
session key is what seats a chess player and owns a roulette bankroll.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from site_config.text import clean_text, refused_character
from site_config.visitors.models import Guest

SESSION_NAME_KEY = "display_name"
NAME_MAX_LENGTH = 24
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\- ]+$")


@dataclass(frozen=True)
class Identity:
    """The visitor behind a request or a WebSocket connection."""

    session_key: str | None
    name: str | None
    user_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def has_name(self) -> bool:
        return bool(self.name)


def identity_from_request(request: HttpRequest) -> Identity:
    """Return the identity of the request, creating the session if it has none yet."""
    cached = getattr(request, "_parlour_identity", None)
    if cached is not None and cached.session_key == request.session.session_key:
        return cached
    session = request.session
    if not session.session_key:
        # A stable key from the first request on, so a seat or a wallet taken on
        # this request belongs to the same session the cookie will carry.
        session.save()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        identity = Identity(session.session_key, user.get_username(), user.pk)
    else:
        identity = Identity(session.session_key, session.get(SESSION_NAME_KEY))
        if identity.name:
            guest_keep_alive(session)
    request._parlour_identity = identity  # type: ignore[attr-defined]
    return identity


async def identity_from_scope(scope: dict[str, Any]) -> Identity:
    """Return the identity of a WebSocket scope (after `AuthMiddlewareStack`)."""
    session = scope.get("session")
    user = scope.get("user")
    session_key = session.session_key if session is not None else None
    if user is not None and user.is_authenticated:
        return Identity(session_key, user.get_username(), user.pk)
    name = await session.aget(SESSION_NAME_KEY) if session is not None else None
    return Identity(session_key, name)


def normalise_name(raw: str) -> str:
    """Collapse runs of spaces and trim: "  Ann   Lee " and "Ann Lee" are one name.

    Text with a refused character is returned as it is, for validate_display_name
    to refuse (some control characters, like U+0085, count as whitespace)."""
    if refused_character(raw) is not None:
        return raw
    return " ".join(raw.split())


def validate_display_name(name: str) -> None:
    """Raise ValidationError unless `name` is a well-formed display name."""
    clean_text(name, empty_message="Enter a display name.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {NAME_MAX_LENGTH} characters.", code="max_length"
        )
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            "Use only letters, digits, spaces and the characters _ - .",
            code="invalid",
        )


def active_guest_cutoff() -> datetime:
    return timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)


def name_is_taken(name: str, *, session_key: str | None) -> bool:
    """True when an account or another active guest already uses `name`."""
    if get_user_model().objects.filter(username__iexact=name).exists():
        return True
    return (
        Guest.objects.filter(name__iexact=name, last_seen__gte=active_guest_cutoff())
        .exclude(session_key=session_key)
        .exists()
    )


def guest_name_claim(*, session_key: str, name: str) -> Guest:
    """Reserve `name` for the guest session `session_key` (replacing its old name).

    Raises ValidationError when the name is malformed or already in use.
    """
    name = normalise_name(name)
    validate_display_name(name)
    with transaction.atomic():
        # Names of guests whose sessions have expired are free again.
        Guest.objects.filter(last_seen__lt=active_guest_cutoff()).delete()
        if name_is_taken(name, session_key=session_key):
            raise ValidationError("That name is already taken.", code="taken")
        try:
            with transaction.atomic():
                guest, _ = Guest.objects.update_or_create(
                    session_key=session_key, defaults={"name": name}
                )
        except IntegrityError as exc:  # lost a race for the same name
            raise ValidationError("That name is already taken.", code="taken") from exc
    return guest


def guest_name_release(*, session_key: str | None) -> None:
    if session_key:
        Guest.objects.filter(session_key=session_key).delete()


GUEST_SEEN_KEY = "display_name_seen"
GUEST_SEEN_EVERY = timedelta(hours=6)


def guest_keep_alive(session: Any) -> None:
    """Keep an active guest's name reserved: refresh `Guest.last_seen` now and then.

    A name is free again once unused for the session age; without this, a guest who
    stays active for longer would lose it to someone else while still using it.
    """
    now = timezone.now()
    seen = session.get(GUEST_SEEN_KEY)
    if seen is not None and now.timestamp() - seen < GUEST_SEEN_EVERY.total_seconds():
        return
    Guest.objects.filter(session_key=session.session_key).update(last_seen=now)
    session[GUEST_SEEN_KEY] = now.timestamp()


# What moves a visitor's belongings (chess seats, a roulette wallet) from one
# session key to another: each app registers its own in `AppConfig.ready`, so this
# package never names another app's models.
SessionRekeyHandler = Callable[[str, str], None]
_rekey_handlers: list[SessionRekeyHandler] = []


def on_session_rekey(handler: SessionRekeyHandler) -> None:
    """Call `handler(old, new)` whenever logging in or signing up gives a visitor a
    new session key (the fixation defence), inside the same transaction."""
    if handler not in _rekey_handlers:
        _rekey_handlers.append(handler)


def session_rekey(*, old: str | None, new: str | None) -> None:
    """Move everything owned by session `old` to session `new`."""
    if not old or not new or old == new:
        return
    with transaction.atomic():
        for handler in _rekey_handlers:
            handler(old, new)
        # Account holders go by their username; the guest name is free again.
        guest_name_release(session_key=old)


def name_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send visitors without a display name to the name form, then back here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not identity_from_request(request).has_name:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('choose_name')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper

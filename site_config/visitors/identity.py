"""Who is this? One answer for views and WebSocket consumers alike.

A visitor is a random id kept in the session *data* (`VISITOR_ID_KEY`), created by
the first action that needs one (claiming a name, taking a seat, opening a wallet),
never by a page view: anonymous pages create no session. Seats, wallets and guest
names hold that id, never the session key. Django's `login()` keeps the session
data when it cycles the key, so logging in moves nothing.

An account has a visitor id of its own (`AccountVisitor`), the one it acts as on
every browser it signs in from. The first browser to sign in lends the account its
guest id (so a guest who signs up keeps their seats and bankroll); a later browser
adopts the account's id and keeps its own guest id as a second id of this session
only (`GUEST_VISITOR_ID_KEY`), so the seats it took as a guest stay playable.

The visitor id is not a credential: it is never sent to a browser, and knowing one
lets nobody act as that visitor (the session cookie does that).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from site_config.text import clean_text, refused_character
from site_config.visitors.models import VISITOR_ID_LENGTH, AccountVisitor, Guest

SESSION_NAME_KEY = "display_name"
# The visitor id of this session (for a signed-in session: its account's).
VISITOR_ID_KEY = "visitor_id"
# The guest id this session had before signing in to an account with another id.
GUEST_VISITOR_ID_KEY = "guest_visitor_id"
# The user whose account id VISITOR_ID_KEY holds; a session signed in some other
# way (the admin's login page, before visitor ids existed) is linked on first use.
VISITOR_USER_KEY = "visitor_user"
NAME_MAX_LENGTH = 24
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\- ]+$")


def new_visitor_id() -> str:
    """A fresh visitor id: 128 random bits, URL-safe."""
    visitor_id = secrets.token_urlsafe(16)
    assert len(visitor_id) <= VISITOR_ID_LENGTH
    return visitor_id


@dataclass(frozen=True)
class Identity:
    """The visitor behind a request or a WebSocket connection.

    `visitor_ids` is empty for a visitor who has done nothing yet; otherwise the
    first is the id new seats and wallets go to, and a second one (a signed-in
    browser's former guest id) still owns what it took before signing in.
    """

    visitor_ids: tuple[str, ...]
    name: str | None
    user_id: int | None = None

    @property
    def visitor_id(self) -> str | None:
        return self.visitor_ids[0] if self.visitor_ids else None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def has_name(self) -> bool:
        return bool(self.name)


def _session_visitor_ids(session: Any) -> tuple[str, ...]:
    ids = (session.get(VISITOR_ID_KEY), session.get(GUEST_VISITOR_ID_KEY))
    return tuple(visitor_id for visitor_id in ids if visitor_id)


def account_visitor_link(session: Any, user: Any) -> None:
    """Give a signed-in session its account's visitor id (see the module docstring).

    The account adopts the session's guest id if it has none yet; otherwise the
    session keeps its guest id as a second id. Either way the guest's display name
    is free again: account holders go by their username. Writes only the
    visitors app's tables and the session data.
    """
    own = session.get(VISITOR_ID_KEY)
    with transaction.atomic():
        account = AccountVisitor.objects.filter(user_id=user.pk).first()
        if account is None:
            account = _account_visitor_create(user, own or new_visitor_id())
        guest_name_release(visitor_id=own)
    if own and own != account.visitor_id:
        session[GUEST_VISITOR_ID_KEY] = own
    session[VISITOR_ID_KEY] = account.visitor_id
    session[VISITOR_USER_KEY] = _user_key(user)


def _user_key(user: Any) -> str:
    # As Django keeps the user in the session: a string, whatever the pk type.
    return str(user.pk)


def _account_visitor_create(user: Any, visitor_id: str) -> AccountVisitor:
    try:
        with transaction.atomic():
            return AccountVisitor.objects.create(user=user, visitor_id=visitor_id)
    except IntegrityError:
        # Another browser of this account linked first (or, never in practice,
        # the guest id is already an account's): take what is there.
        existing = AccountVisitor.objects.filter(user_id=user.pk).first()
        if existing is not None:
            return existing
        return AccountVisitor.objects.create(user=user, visitor_id=new_visitor_id())


def _signed_in_user(user: Any) -> Any:
    return user if user is not None and user.is_authenticated else None


def identity_from_request(request: HttpRequest) -> Identity:
    """The identity of the request; creates no session (see `visitor_from_request`)."""
    cached: Identity | None = getattr(request, "_parlour_identity", None)
    if cached is not None:
        return cached
    session = request.session
    user = _signed_in_user(getattr(request, "user", None))
    if user is not None:
        if session.get(VISITOR_USER_KEY) != _user_key(user):
            account_visitor_link(session, user)
        identity = Identity(_session_visitor_ids(session), user.get_username(), user.pk)
    else:
        identity = Identity(
            _session_visitor_ids(session), session.get(SESSION_NAME_KEY)
        )
        if identity.name:
            guest_keep_alive(session)
    request._parlour_identity = identity  # type: ignore[attr-defined]
    return identity


def visitor_from_request(request: HttpRequest) -> Identity:
    """The identity of the request, with a visitor id: for actions that need one.

    A visitor without one gets a new id in the session data; the session (and its
    cookie) is saved with the response.
    """
    identity = identity_from_request(request)
    if identity.visitor_ids:
        return identity
    visitor_id = new_visitor_id()
    request.session[VISITOR_ID_KEY] = visitor_id
    identity = Identity((visitor_id,), identity.name, identity.user_id)
    request._parlour_identity = identity  # type: ignore[attr-defined]
    return identity


async def identity_from_scope(scope: dict[str, Any]) -> Identity:
    """The identity of a WebSocket scope (after `AuthMiddlewareStack`).

    Sockets never create a visitor: an anonymous spectator needs no session.
    """
    session = scope.get("session")
    user = _signed_in_user(scope.get("user"))
    if session is None:
        return Identity((), None)
    if user is not None:
        if await session.aget(VISITOR_USER_KEY) != _user_key(user):
            await database_sync_to_async(_link_and_save)(session, user)
        return Identity(await _scope_visitor_ids(session), user.get_username(), user.pk)
    name = await session.aget(SESSION_NAME_KEY)
    return Identity(await _scope_visitor_ids(session), name)


async def _scope_visitor_ids(session: Any) -> tuple[str, ...]:
    ids = (await session.aget(VISITOR_ID_KEY), await session.aget(GUEST_VISITOR_ID_KEY))
    return tuple(visitor_id for visitor_id in ids if visitor_id)


def _link_and_save(session: Any, user: Any) -> None:
    # A socket's session is not saved by any middleware.
    account_visitor_link(session, user)
    session.save()


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


def name_is_taken(name: str, *, visitor_id: str | None) -> bool:
    """True when an account or another active guest already uses `name`."""
    if get_user_model().objects.filter(username__iexact=name).exists():
        return True
    others = Guest.objects.filter(
        name__iexact=name, last_seen__gte=active_guest_cutoff()
    )
    if visitor_id:
        others = others.exclude(visitor_id=visitor_id)
    return others.exists()


def guest_name_claim(*, visitor_id: str, name: str) -> Guest:
    """Reserve `name` for the guest `visitor_id` (replacing its old name).

    Raises ValidationError when the name is malformed or already in use.
    """
    name = normalise_name(name)
    validate_display_name(name)
    with transaction.atomic():
        # Names of guests whose sessions have expired are free again.
        Guest.objects.filter(last_seen__lt=active_guest_cutoff()).delete()
        if name_is_taken(name, visitor_id=visitor_id):
            raise ValidationError("That name is already taken.", code="taken")
        try:
            with transaction.atomic():
                guest, _ = Guest.objects.update_or_create(
                    visitor_id=visitor_id, defaults={"name": name}
                )
        except IntegrityError as exc:  # lost a race for the same name
            raise ValidationError("That name is already taken.", code="taken") from exc
    return guest


def guest_name_release(*, visitor_id: str | None) -> None:
    if visitor_id:
        Guest.objects.filter(visitor_id=visitor_id).delete()


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
    visitor_id = session.get(VISITOR_ID_KEY)
    if visitor_id:
        Guest.objects.filter(visitor_id=visitor_id).update(last_seen=now)
    session[GUEST_SEEN_KEY] = now.timestamp()


def name_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send visitors without a display name to the name form, then back here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not identity_from_request(request).has_name:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('choose_name')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper

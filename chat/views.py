"""Chat pages: the room list (with the create-room form), a room, and the no-JS post.

Views validate with a form, call one service (which publishes what the sockets
see) and redirect (PRG); rendering uses plain data from the selectors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from chat import conf, selectors, services
from chat.forms import MessageForm, RoomForm
from chat.models import Room
from site_config.visitors.identity import identity_from_request, name_required
from site_config.visitors.ratelimits import ROOM_CREATE, rate_limited


@require_http_methods(["GET", "POST"])
@rate_limited(ROOM_CREATE)
def rooms(request: HttpRequest) -> HttpResponse:
    """Open rooms with live head counts, and the create-room form (PRG)."""
    identity = identity_from_request(request)
    form = RoomForm()
    if request.method == "POST":
        if not identity.has_name:
            return name_required(rooms)(request)
        form = RoomForm(request.POST)
        if form.is_valid():
            try:
                room = services.room_create(
                    name=form.cleaned_data["name"], identity=identity
                )
            except ValidationError as exc:
                form.add_error("name", exc)
            else:
                messages.success(request, f"Room “{room.name}” created.")
                return redirect(room)
    return render(
        request, "chat/rooms.html", {"rooms": selectors.room_list(), "form": form}
    )


def _room_or_404(slug: str) -> Room:
    room = selectors.room_get(slug=slug)
    if room is None:
        raise Http404("There is no such room.")
    return room


def _room_context(
    request: HttpRequest, room: Room, form: MessageForm | None = None
) -> dict[str, Any]:
    size = conf.get_int("CHAT_PAGE_SIZE")
    before = request.GET.get("before", "")
    archive = before.isdigit() and int(before) > 0
    if archive:
        page, has_older = selectors.messages_before(
            room_id=room.pk, before=int(before), limit=size
        )
    else:
        page, has_older = selectors.messages_latest(room_id=room.pk, limit=size)
    url = room.get_absolute_url()
    older_url = f"{url}?before={page[0]['id']}" if page and has_older else None
    identity = identity_from_request(request)
    return {
        "room": room,
        "chat_messages": page,
        "older_url": older_url,
        "archive": archive,
        "form": form or MessageForm(),
        "members": selectors.room_members(room_id=room.pk),
        "live": not archive and not room.is_closed,
        "config": {
            "socket": f"/ws/chat/{room.slug}/",
            "me": identity.name,
            "lastId": page[-1]["id"] if page else 0,
            "oldestId": page[0]["id"] if page else 0,
            "hasOlder": has_older,
        },
    }


@require_http_methods(["GET", "HEAD"])
@name_required
def room(request: HttpRequest, slug: str) -> HttpResponse:
    """A room: the latest messages (or an older page with ?before=<id>), members,
    and the message form that works with or without JavaScript."""
    room = _room_or_404(slug)
    return render(request, "chat/room.html", _room_context(request, room))


@require_POST
def post_message(request: HttpRequest, slug: str) -> HttpResponse:
    """The no-JavaScript way to post: PRG, and the message still goes out live."""
    if not identity_from_request(request).has_name:
        # Back to the room page afterwards: this URL only takes POSTs (a GET
        # after choosing a name would be a 405), and the text needs retyping anyway.
        query = urlencode({"next": reverse("chat:room", args=[slug])})
        return redirect(f"{reverse('choose_name')}?{query}")
    room = _room_or_404(slug)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_post_session_limited(
                session=request.session,
                room_id=room.pk,
                identity=identity_from_request(request),
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(reverse("chat:room", args=[room.slug]) + "#chat-form")
    return render(request, "chat/room.html", _room_context(request, room, form))

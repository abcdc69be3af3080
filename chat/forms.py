"""Forms of the chat pages: create a room, post a message without JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms

from chat import conf
from chat.models import ROOM_NAME_MAX
from chat.services import message_body_clean, room_name_clean


class RoomForm(forms.Form):
    name = forms.CharField(
        label="Room name",
        max_length=ROOM_NAME_MAX,
        help_text=f"1 to {ROOM_NAME_MAX} characters; it must not be in use already.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        return room_name_clean(self.cleaned_data["name"])


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        # The limit is enforced after trimming in clean_body; the widget's maxlength
        # only stops a browser from accepting far more than that.
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = conf.get_int("CHAT_BODY_MAX")

    def clean_body(self) -> str:
        return message_body_clean(self.cleaned_data["body"])

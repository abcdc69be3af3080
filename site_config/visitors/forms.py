"""Identity forms: the guest display name and account sign-up."""

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from site_config.visitors.identity import (
    NAME_MAX_LENGTH,
    name_is_taken,
    normalise_name,
    validate_display_name,
)


class DisplayNameForm(forms.Form):
    name = forms.CharField(
        label="Display name",
        max_length=NAME_MAX_LENGTH,
        help_text="1-24 characters: letters, digits, spaces and _ - .",
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "autofocus": True}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, visitor_id: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.visitor_id = visitor_id

    def clean_name(self) -> str:
        name = normalise_name(self.cleaned_data["name"])
        validate_display_name(name)
        if name_is_taken(name, visitor_id=self.visitor_id):
            raise ValidationError("That name is already taken.", code="taken")
        return name


class SignUpForm(UserCreationForm):
    """Django's sign-up form, with usernames held to the display-name rules."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args: Any, visitor_id: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.visitor_id = visitor_id
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.max_length = NAME_MAX_LENGTH
        username_help = "1-24 characters: letters, digits and _ - . Also your name."
        self.fields["username"].help_text = username_help

    def clean_username(self) -> str:
        username = normalise_name(self.cleaned_data["username"])
        validate_display_name(username)
        if name_is_taken(username, visitor_id=self.visitor_id):
            raise ValidationError("That name is already taken.", code="taken")
        return username

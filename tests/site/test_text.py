"""The shared text check (site_config/text.py) every free-text input goes through."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from site_config.text import clean_text, is_blank, printable, refused_character
from tests.bad_input import BAD_TEXT_JSON


@pytest.mark.parametrize(("text", "reason"), BAD_TEXT_JSON)
@pytest.mark.parametrize("multiline", [False, True])
def test_hostile_text_is_refused_with_a_reason(text, reason, multiline):
    with pytest.raises(ValidationError) as refused:
        clean_text(text, empty_message="Type something.", multiline=multiline)
    (message,) = refused.value.messages
    assert (reason or "Type something.") in message


@pytest.mark.parametrize(
    "text",
    [
        "plain ASCII",
        "été, 東京, Ωμέγα",
        "family: \U0001f468\u200d\U0001f469\u200d\U0001f467",  # joined by ZWJ
        "heart \u2764\ufe0f",  # with a variation selector
        "\u05e9\u05dc\u05d5\u05dd \u200fmarks\u200e",  # Hebrew, RLM and LRM
        "\U0001d54f math and \ue000 private use",
        "soft\u00adhyphen",
    ],
)
def test_ordinary_text_of_any_script_passes_unchanged(text):
    assert clean_text(text, empty_message="x") == text


@pytest.mark.parametrize(
    ("text", "multiline", "cleaned"),
    [
        ("  two   words \u3000", False, "two words"),
        ("line\r\nbreaks\rkept\n\tindent ", True, "line\nbreaks\nkept\n\tindent"),
    ],
)
def test_whitespace_is_trimmed_and_line_breaks_kept_where_they_belong(
    text, multiline, cleaned
):
    assert clean_text(text, empty_message="x", multiline=multiline) == cleaned


def test_line_breaks_and_tabs_are_refused_in_single_line_fields():
    assert refused_character("a\nb") is not None
    assert refused_character("a\tb") is not None
    assert refused_character("a\nb\tc\r", multiline=True) is None


def test_length_is_counted_after_trimming():
    assert clean_text("  abc  ", empty_message="x", max_length=3) == "abc"
    with pytest.raises(ValidationError, match="at most 3"):
        clean_text("abcd", empty_message="x", max_length=3)


@pytest.mark.parametrize(
    ("text", "blank"),
    [
        ("", True),
        ("\u200b\u200c\u200d\u2060\ufeff", True),
        ("\u3164\u115f\u2800", True),
        ("\ufe0f\U000e0100", True),
        ("\u00a0\u2003\u3000", True),
        ("\u200ba", False),
        ("\u2764\ufe0f", False),
    ],
)
def test_blank_means_nothing_visible(text, blank):
    assert is_blank(text) is blank


def test_printable_replaces_lone_surrogates_only():
    assert printable("a\ud800b") == "a\ufffdb"
    assert printable("\ud83d\ude00") == "\U0001f600"  # a split pair is rejoined
    assert printable("é \U0001f600") == "é \U0001f600"
    printable("\udfff\ud800").encode()  # never raises

"""The bad-input table's shared rows: frames every JSON socket must refuse, and
text every free-text field must refuse, each with the reason the sender reads.

Tests combine these rows with their own socket or form (tests/*/test_*_bad_input.py)
and assert, per row: a readable error, the connection or page still usable, nothing
stored, no other user affected, and no traceback logged (`no_tracebacks`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

FRAME_LIMIT = 64 * 1024

# (frame sent as text, what the error says); ids name the row.
BAD_FRAMES = [
    pytest.param("{not json", "JSON objects", id="malformed-json"),
    pytest.param(" ", "JSON objects", id="blank-frame"),
    pytest.param("[1, 2]", "JSON objects", id="array"),
    pytest.param("7", "JSON objects", id="number"),
    pytest.param("[" * 5000, "JSON objects", id="deep-nesting"),
    pytest.param('{"body": "no type"}', "Unknown message type", id="missing-type"),
    pytest.param('{"type": 7}', "Unknown message type", id="type-not-a-string"),
    pytest.param('{"type": "teleport"}', "Unknown message type", id="unknown-type"),
    pytest.param('{"type": "a\\u0000b"}', "Unknown message type", id="type-nul"),
    pytest.param('{"type": "\\ud800"}', "lone surrogates", id="type-surrogate"),
    pytest.param(
        json.dumps({"type": "x", "pad": "y" * FRAME_LIMIT}),
        "Frame too large",
        id="oversized-frame",
    ),
]

# Text no free-text field accepts: (text, what the error says).
BAD_TEXT = [
    pytest.param("nul \x00 inside", "Control characters", id="nul"),
    pytest.param("bell \x07", "Control characters", id="bel"),
    pytest.param("escape \x1b[2J", "Control characters", id="ansi-escape"),
    pytest.param("c1 \x85 inside", "Control characters", id="c1-control"),
    pytest.param("\u200b\u200b\u200b", None, id="zero-width-only"),
    pytest.param("\u2800 \u3164 \ufe0f\u2060", None, id="blank-glyphs-only"),
    pytest.param("\u202egnp.exe", "Text-direction", id="bidi-override"),
    pytest.param("non \ufdd0 character", "noncharacters", id="noncharacter"),
]
# The same over a socket, where a lone surrogate can arrive as a JSON escape.
BAD_TEXT_JSON = [
    *BAD_TEXT,
    pytest.param("\ud800", "lone surrogates", id="lone-surrogate"),
]


def frame_with(content: dict[str, Any]) -> str:
    """`content` as a client would send it: non-ASCII escaped, so lone surrogates
    travel as `\\ud800` escapes, the only way they can reach the server."""
    return json.dumps(content)

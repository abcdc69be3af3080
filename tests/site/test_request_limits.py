"""Oversized and overfull request bodies: 413 or 400 with the site's page or the
API's JSON, before anything reads them, and no traceback in the log."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50


@pytest.mark.parametrize("path", ["/chat/", "/name/", "/accounts/login/", "/nowhere/"])
def test_an_oversized_form_post_is_413_with_the_site_page(
    small_limits, no_tracebacks, path
):
    response = Client().post(path, {"name": "x" * 20_000}, HTTP_ACCEPT="text/html")
    assert response.status_code == 413
    assert "413" in response.content.decode()
    assert "10000 byte limit" in response.content.decode()


def test_an_oversized_api_post_is_a_json_413(small_limits, no_tracebacks):
    response = Client().post(
        "/roulette/api/sessions/",
        "{" + " " * 20_000 + "}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "byte limit" in response.json()["error"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_too_many_fields_is_400_not_a_traceback(small_limits, no_tracebacks, method):
    fields = {f"f{n}": "1" for n in range(60)}
    response = getattr(Client(), method)("/chat/", fields)
    assert response.status_code == 400
    assert "400" in response.content.decode()  # the site's 400 page


def test_a_malformed_content_length_is_400(no_tracebacks):
    response = Client().post(
        "/chat/",
        "x=1",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="lots",
    )
    assert response.status_code == 400


def test_bodies_within_the_limit_are_untouched(small_limits, no_tracebacks):
    client = Client()
    assert client.post("/name/", {"name": "Ann"}).status_code == 302
    api = client.post("/roulette/api/sessions/", "{}", content_type="application/json")
    assert api.status_code == 201

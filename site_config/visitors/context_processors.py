"""Template context shared by every page."""

from typing import Any

from django.http import HttpRequest

from site_config.visitors.identity import identity_from_request


def identity(request: HttpRequest) -> dict[str, Any]:
    return {"identity": identity_from_request(request)}

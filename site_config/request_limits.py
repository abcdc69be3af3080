"""Refuse oversized or overfull request bodies before anything reads them.

Django raises RequestDataTooBig (a body over DATA_UPLOAD_MAX_MEMORY_SIZE) or
TooManyFieldsSent (more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields) wherever the
body is first read, usually the CSRF check, and logs each as an error with a
traceback. This middleware answers first: 413 for a body too large, 400 for too
many fields or a malformed Content-Length; the site's page, or the API's JSON
error for the JSON API.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_json(request: HttpRequest) -> bool:
    """True for the JSON API's requests, which get JSON errors."""
    return request.content_type == "application/json" or request.path.startswith(
        reverse("roulette:api_index")
    )


def refusal(request: HttpRequest, status: int, reason: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": reason}, status=status)
    # As Django's own 400 page: rendered without the request, so it needs no
    # session, no database and no body.
    page = loader.render_to_string(f"{status}.html", {"reason": reason})
    return HttpResponse(page, status=status)


class RequestLimitsMiddleware:
    """413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE, 400 for too many fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, 400, "The Content-Length header is malformed.")
        if limit is not None and length > limit:
            return refusal(
                request, 413, f"The request body is over the {limit} byte limit."
            )
        try:
            request.GET  # noqa: B018 - parsed here so that a flood is refused here
            if request.method == "POST" and request.content_type in FORM_TYPES:
                request.POST  # noqa: B018
        except TooManyFieldsSent:
            return refusal(request, 400, "The request has too many fields.")
        except RequestDataTooBig:  # fields over the limit, whatever the header said
            return refusal(
                request, 413, f"The request body is over the {limit} byte limit."
            )
        return self.get_response(request)

"""The site's 400 page, rendered so that it can never fail itself."""

from django.http import HttpRequest, HttpResponseBadRequest
from django.template.loader import render_to_string


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """templates/400.html without the request's context processors.

    A bad request may be refused before the session and auth middleware ran (a bad
    Host fails in SecurityMiddleware, the first one), so the context processors that
    read the visitor would fail and turn the 400 into a 500. Django's 500 page is
    rendered without a request for the same reason.
    """
    return HttpResponseBadRequest(render_to_string("400.html"))

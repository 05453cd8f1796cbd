"""What a person sees when a service behind the portal is down: a clear 503, never a crash page."""

import logging
from functools import wraps

from django.db import DatabaseError
from django.shortcuts import render
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# The ORM wraps pymongo's errors in DatabaseError; GridFS calls raise them as they are.
DATABASE_ERRORS = (DatabaseError, PyMongoError)
DATABASE_MESSAGE = "Our database is not reachable just now. Please try again in a minute."


def unavailable(request, message, *, retry_url=None, save_url=None):
    """503 with Retry-After; `retry_url` repeats the request, `save_url` saves the case for later."""
    context = {"message": message, "retry_url": retry_url, "save_url": save_url}
    response = render(request, "screening/unavailable.html", context, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """The same 503 for a MongoDB failure that no view handles itself: the session and permission lookups
    in front of the workspace's pages, the sign-in, the admin. Without it a clinician gets a 500 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.warning("MongoDB unavailable before the view: %s", type(exception).__name__)
        return unavailable(request, DATABASE_MESSAGE, retry_url=request.path)


def database_required(view):
    """Answer 503 with a retry link when MongoDB fails during the view."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DATABASE_ERRORS as error:
            logger.warning("MongoDB unavailable during %s: %s", view.__name__, type(error).__name__)
            return unavailable(request, DATABASE_MESSAGE, retry_url=request.path)

    return wrapper

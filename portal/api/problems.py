"""One error format for every failure: RFC 9457 problem details (application/problem+json).

Each problem has a `type` URI naming its kind (`urn:covid19-prognosis:problem:<code>`), a `title`,
the HTTP `status`, a `detail` for people, and `code` for programs; validation problems add `errors`
by field. Preprocessing rejections are 422 (413 when the image is too large), the model server and
MongoDB being unavailable 503 with Retry-After.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.screening.outages import DATABASE_ERRORS, DATABASE_MESSAGE, RETRY_AFTER_SECONDS
from preprocess import Rejection
from serving.client import ModelServerError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    406: "Not acceptable", 413: "Content too large", 415: "Unsupported media type", 422: "Image rejected",
    429: "Too many requests", 500: "Internal server error", 503: "Service unavailable",
}  # fmt: skip


class ProblemRenderer(JSONRenderer):
    media_type = CONTENT_TYPE


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def problem(status_code, code, detail, *, instance="", headers=None, **extensions) -> Response:
    body = {
        "type": f"urn:covid19-prognosis:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
        **({"instance": instance} if instance else {}),
        **extensions,
    }
    return Response(body, status=status_code, headers=headers)


def exception_handler(error, context):
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes a problem document."""
    request = context.get("request")
    instance = ""
    if request is not None:
        instance = request.path
        # problems are JSON whatever the view renders otherwise (the schema view renders YAML)
        request.accepted_renderer, request.accepted_media_type = ProblemRenderer(), CONTENT_TYPE
    if isinstance(error, Rejection):
        status_code = 413 if error.code == "too_large_file" else 422
        return problem(status_code, error.code, error.reason, instance=instance)
    if isinstance(error, ModelServerError):
        logger.warning("API: model server answered %s", error.code.name)
        return _unavailable("model_unavailable", error.user_message, instance)
    if isinstance(error, DATABASE_ERRORS):
        logger.warning("API: MongoDB unavailable: %s", type(error).__name__)
        return _unavailable("database_unavailable", DATABASE_MESSAGE, instance)
    if isinstance(error, DjangoValidationError):
        error = exceptions.ValidationError(_django_errors(error))
    if isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied(str(error) or None)
    if isinstance(error, Http404):
        error = exceptions.NotFound()
    if isinstance(error, exceptions.APIException):
        return _from_api_exception(error, context, instance)
    logger.exception("API: unexpected error")
    return problem(500, "error", "The server failed unexpectedly. Please try again later.", instance=instance)


def _from_api_exception(error, context, instance):
    response = drf_exception_handler(error, context)  # sets WWW-Authenticate and Retry-After
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After")}
    if isinstance(error, exceptions.ValidationError):
        errors = error.detail if isinstance(error.detail, dict) else {"non_field_errors": error.detail}
        return problem(400, "invalid", "The request has invalid fields; see errors.", instance=instance,
                       errors=errors)  # fmt: skip
    codes = error.get_codes()
    return problem(response.status_code, codes if isinstance(codes, str) else error.default_code, str(error.detail),
                   instance=instance, headers=headers)  # fmt: skip


def _unavailable(code, detail, instance):
    return problem(503, code, detail, instance=instance, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _django_errors(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": error.messages}

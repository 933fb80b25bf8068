"""Every API error is JSON of one shape: `{"detail": "...", "errors": {"name": ["..."]}}`.

`detail` says in one sentence what was wrong; `errors` names each query parameter or body field at
fault with its messages (empty when the error is not about one, like 404 or 429), so a client can
show the sentence or point at the field.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _messages(item)]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def field_errors(detail) -> dict[str, list[str]]:
    """A ValidationError's detail as {name: [message, ...]}, non-field messages under one key."""
    if isinstance(detail, dict):
        return {str(name): _messages(messages) for name, messages in detail.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: _messages(detail)}


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling, and the error log, take it
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        detail = "; ".join(
            message if name == api_settings.NON_FIELD_ERRORS_KEY else f"{name}: {message}"
            for name, messages in errors.items()
            for message in messages
        )
        response.data = {"detail": detail or _("Invalid request."), "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
        if isinstance(detail, dict) and "detail" in detail:
            detail = detail["detail"]
        response.data = {"detail": " ".join(_messages(detail)), "errors": {}}
    return response

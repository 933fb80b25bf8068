"""Which language an API response speaks.

The API lives outside `i18n_patterns`, where LocaleMiddleware always answers in English, so the API
chooses for itself: `?lang=` first, then `Accept-Language`, then English. Only vocabulary labels
and messages are translated; codes and strategy records are the same in every language.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework.exceptions import ValidationError

LANGUAGE_PARAMETER = "lang"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def requested_language(request) -> str:
    """The language code to answer in; an unknown `?lang=` is a 400, never silently English.

    An unknown language in `Accept-Language` is skipped (it is a list of preferences, and
    browsers send it unasked).
    """
    asked = request.query_params.get(LANGUAGE_PARAMETER)
    if asked is not None:
        try:
            return translation.get_supported_language_variant(asked.strip().lower())
        except LookupError:
            raise ValidationError(
                {
                    LANGUAGE_PARAMETER: [
                        _("“%(value)s” is not a language of the catalogue; use one of %(codes)s.")
                        % {"value": asked, "codes": ", ".join(language_codes())}
                    ]
                }
            ) from None
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class LanguageMixin:
    """For API views: answer in the requested language and say which in `Content-Language`."""

    def initial(self, request, *args, **kwargs):
        # Before authentication, permissions and throttling, so that their refusals are translated.
        translation.activate(requested_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Content-Language"] = translation.get_language()
        patch_vary_headers(response, ["Accept-Language"])
        return response

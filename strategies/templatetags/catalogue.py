"""Template tags for the catalogue's public pages.

Links that change one filter while keeping every other parameter, the language switcher, and the
search snippet. All page state lives in the query string, so these only rewrite `request.GET`;
what a parameter means is decided by strategies.filters and strategies.search, never here.
"""

from django import template
from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import translate_url
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

from ..search import snippet_html

register = template.Library()

# Each language is named in itself so that a reader finds theirs whatever the page's language;
# these names are deliberately not marked for translation.
AUTONYMS = {
    "en": "English",
    "zh-hans": "中文",
    "fr": "Français",
    "es": "Español",
    "ru": "Русский",
    "ar": "العربية",
}


def _href(request: HttpRequest, params: QueryDict) -> str:
    # A changed filter may leave fewer pages than the page number asked for: start again at 1.
    params.pop("page", None)
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


@register.simple_tag(takes_context=True)
def toggle_value(context, name: str, value) -> str:
    """This page with one value of a repeatable parameter added, or removed if present."""
    request = context["request"]
    params = request.GET.copy()
    value = str(value)
    values = params.getlist(name)
    params.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return _href(request, params)


@register.simple_tag(takes_context=True)
def remove_filter(context, name: str, value=None) -> str:
    """This page without one value of a parameter, or without the parameter if no value given."""
    request = context["request"]
    params = request.GET.copy()
    if value is None:
        params.pop(name, None)
    else:
        params.setlist(name, [v for v in params.getlist(name) if v != str(value)])
    return _href(request, params)


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """The current page, with its query string, in each of the site's languages."""
    request = context.get("request")
    if request is None:  # a template rendered without a request has no page to translate
        return []
    current = get_language()
    full_path = request.get_full_path()
    return [
        {
            "code": code,
            "name": AUTONYMS.get(code) or get_language_info(code)["name_local"],
            "url": translate_url(full_path, code),
            "current": code == current,
            "bidi": get_language_info(code)["bidi"],
        }
        for code, _name in settings.LANGUAGES
    ]


@register.filter
def snippet(raw_snippet: str) -> SafeString:
    """A search headline as HTML: escaped, with the matched words in <mark>."""
    return mark_safe(snippet_html(raw_snippet))  # noqa: S308 — snippet_html escapes everything

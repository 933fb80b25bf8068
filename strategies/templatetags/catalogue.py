"""Template tags for the catalogue's public pages.

Links that change one filter while keeping every other parameter, the language switcher, and the
lists a page shows by the dozen or hundred (facet values, results, a record's issues, articles and
crime types), written out in Python. All page state lives in the query string, so these only
rewrite `request.GET`; what a parameter means is decided by strategies.filters and
strategies.search, never here.
"""

from functools import lru_cache
from html import escape
from itertools import groupby
from urllib.parse import quote, quote_plus

from django import template
from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import get_urlconf, reverse, translate_url
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.formats import date_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info, gettext, ngettext, pgettext

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


class _Link:
    """Links to one named URL with one argument: reverse() once (in the active language), then
    each link only quotes its argument as reverse() does. A page with dozens of such links spent
    more on reverse() than on anything else it wrote."""

    _MARK = "0ARGUMENT0"

    def __init__(self, name: str):
        self.prefix, _, self.suffix = reverse(name, args=[self._MARK]).partition(self._MARK)

    def __call__(self, argument: str) -> str:
        return f"{self.prefix}{quote(str(argument), safe=RFC3986_SUBDELIMS + '/~:@')}{self.suffix}"


def _href(request: HttpRequest, params: QueryDict) -> str:
    # A changed filter may leave fewer pages than the page number asked for: start again at 1.
    params.pop("page", None)
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


# The facet values' codes, quoted once each rather than on every page.
_quoted_code = lru_cache(maxsize=8192)(quote_plus)


def _encoded(key: str, values) -> str:
    """One parameter's values, as QueryDict.urlencode() writes them."""
    key = quote_plus(key)
    return "&".join(f"{key}={quote_plus(value)}" for value in values)


def _around(request: HttpRequest, name: str) -> tuple[list[str], list[str], list[str]]:
    """The query's parameters before `name` and after it, each encoded, and `name`'s values:
    what the links that change one parameter share. The page number is left out of the others
    (a link that changes a filter starts again at page 1)."""
    before: list[str] = []
    values: list[str] = []
    after: list[str] = []
    seen = False
    for key, key_values in request.GET.lists():
        if key == name:
            values, seen = key_values, True
        elif key != "page":
            (after if seen else before).append(_encoded(key, key_values))
    return before, values, after


def _kept_for_request(request: HttpRequest, key, make):
    """`make()`, once per request and `key`: a page writes its links in several parts."""
    kept = request.__dict__.setdefault("_catalogue_links", {})
    if key not in kept:
        kept[key] = make()
    return kept[key]


class _ToggleLinks:
    """Links to this page with one value of a repeatable parameter added, or removed if present.

    A facet shows hundreds of values, so the query's other parameters are encoded once rather
    than the whole query copied per link; like every link here, the page number is dropped
    (tests/strategies/test_facet_links.py compares the links with QueryDict's own encoding).
    """

    @classmethod
    def of(cls, request: HttpRequest, name: str) -> "_ToggleLinks":
        """The links for one parameter, made once per request: a facet's values are written in
        several parts (the values shown, those behind "Show all", articles per instrument)."""
        return _kept_for_request(request, ("toggle", name), lambda: cls(request, name))

    def __init__(self, request: HttpRequest, name: str):
        self.path = request.path
        self.name = name
        self.before, self.values, self.after = _around(request, name)
        # A value not yet selected goes after this parameter's values: everything around it is
        # the same for every such value, so it is written (and escaped for HTML) once.
        head = "&".join(part for part in (*self.before, _encoded(name, self.values)) if part)
        tail = "&".join(self.after)
        self._add_head = escape(f"{self.path}?{head}{'&' if head else ''}{quote_plus(name)}=")
        self._add_tail = escape(f"&{tail}" if tail else "")

    def href_html(self, value: str) -> str:
        """This page with `value` added, or removed if selected, escaped for an HTML attribute."""
        if value in self.values:
            rest = _encoded(self.name, (v for v in self.values if v != value))
            query = "&".join(part for part in (*self.before, rest, *self.after) if part)
            return escape(f"{self.path}?{query}" if query else self.path)
        # quote_plus() leaves only letters, digits and _.-~+% : nothing HTML needs escaped.
        return f"{self._add_head}{_quoted_code(value)}{self._add_tail}"


class _PageLinks:
    """Links to other pages of these results, as {% querystring page=n %} writes them (the page
    number where the query has it, else last), with the query's other parameters encoded once
    rather than the whole query copied per link."""

    def __init__(self, request: HttpRequest):
        before, _numbers, after = _around(request, "page")
        self._head = escape("?" + "".join(f"{part}&" for part in before) + "page=")
        self._tail = escape("".join(f"&{part}" for part in after))

    def href_html(self, number) -> str:
        return f"{self._head}{quote_plus(str(number))}{self._tail}"


@register.simple_tag(takes_context=True)
def page_href(context, number) -> SafeString:
    """This page of results at page `number`, escaped for an HTML attribute."""
    request = context["request"]
    links = _kept_for_request(request, "pages", lambda: _PageLinks(request))
    return mark_safe(links.href_html(number))  # noqa: S308 — escaped by _PageLinks


@lru_cache(maxsize=8192)
def _facet_value_html(name: str, code: str, label: str) -> tuple[str, str, str]:
    """What a facet value's markup holds whatever the counts and the other filters: the opening
    of its checkbox, its label and its checkbox's id, escaped. Kept per label, so per language:
    a page writes hundreds of values, and escaping them all again on every page was much of its
    work. Facet values come from the vocabularies, so the cache stays small."""
    box_id = escape(f"facet-{name}-{code}")  # unique on the page
    checkbox = (
        f'<li class="facet-value"><input type="checkbox" id="{box_id}" name="{escape(name)}"'
        f' value="{escape(code)}"'
    )
    return checkbox, escape(label), box_id


def _branch_summary(name: str, count: int) -> str:
    """The disclosure of a tree node's branch, e.g. "3 sub-regions"."""
    if name == "region":
        return ngettext("%(count)d sub-region", "%(count)d sub-regions", count) % {"count": count}
    return ngettext("%(count)d narrower issue", "%(count)d narrower issues", count) % {
        "count": count
    }


def _holds_selection(values) -> bool:
    return any(value.selected or _holds_selection(value.children) for value in values)


@register.simple_tag(takes_context=True)
def facet_options(context, name: str, values, labels=None) -> SafeString:
    """A facet's values (search.FacetValue) as a list of checkboxes and toggle links, nested for
    trees, a branch open when something beneath it is selected. `labels` maps codes to the
    labels shown where they are not the values' own (articles: "Art. 5 Criminalization…").

    Written out in Python rather than with an {% include %} per value: a facet panel shows
    hundreds of values and this is most of the search page's work.
    """
    # The standard library's escape, as Django's does, without its lazy-string wrapper (the
    # wrapper costs more than the escaping for hundreds of short labels).
    links = _ToggleLinks.of(context["request"], name)
    words = {True: escape(gettext("Remove filter:")), False: escape(gettext("Add filter:"))}
    out: list[str] = []

    def write(values) -> None:
        out.append('<ul class="facet-values">')
        for value in values:
            shown = labels[value.code] if labels else value.label
            checkbox, label, box_id = _facet_value_html(name, value.code, str(shown))
            out.append(
                f"{checkbox}{' checked' if value.selected else ''}>"
                f'<label class="visually-hidden" for="{box_id}">{label} ({value.count})</label>'
                f'<a class="facet-link" href="{links.href_html(value.code)}" rel="nofollow">'
                f'<span class="visually-hidden">{words[bool(value.selected)]} </span>'
                f'<span class="facet-label">{label}</span> '
                f'<span class="facet-count">{value.count}</span></a>'
            )
            if value.children:
                opened = " open" if _holds_selection(value.children) else ""
                out.append(
                    f'<details class="facet-branch"{opened}><summary>'
                    f'<span class="visually-hidden">{label}: </span>'
                    f"{escape(_branch_summary(name, len(value.children)))}</summary>"
                )
                write(value.children)
                out.append("</details>")
            out.append("</li>")
        out.append("</ul>")

    write(values)
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped


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
    query = request.META.get("QUERY_STRING", "")
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return [
        {
            "code": code,
            "name": AUTONYMS.get(code) or get_language_info(code)["name_local"],
            "url": f"{path}?{iri_to_uri(query)}" if query else path,
            "current": code == current,
            "bidi": get_language_info(code)["bidi"],
        }
        for code, path in _translated_paths(
            urlconf, escape_uri_path(request.path), current, tuple(settings.LANGUAGES)
        )
    ]


@lru_cache(maxsize=4096)
def _translated_paths(urlconf, path: str, current: str, languages) -> tuple[tuple[str, str], ...]:
    """A page's path (escaped, as in get_full_path()) in each of the site's languages:
    translate_url() resolves and reverses it once per language, which every view of the page
    would otherwise repeat. `urlconf`, `current` (the active language, in which `path` is
    resolved) and `languages` are part of the key; the query string is added as
    get_full_path() adds it."""
    return tuple((code, translate_url(path, code)) for code, _name in languages)


def _write_issue_nodes(out: list[str], nodes, link: _Link) -> None:
    """Issues under their ancestors, as nested lists of links; tagged issues are marked."""
    out.append('<ul class="issue-tree">')
    for node in nodes:
        href = escape(link(node.issue.path))
        tagged = ' class="tagged"' if node.tagged else ""
        out.append(f'<li{tagged}><a href="{href}">{escape(str(node.issue.name))}</a>')
        if node.children:
            _write_issue_nodes(out, node.children, link)
        out.append("</li>")
    out.append("</ul>")


@register.simple_tag
def record_issues(roots) -> SafeString:
    """A record's cross-cutting issues: each root a heading that links to its page, with the
    record's issues beneath it as nested lists. Written out in Python for the same reason as
    facet_options: a record can show dozens of nodes, and an {% include %} per node was a large
    part of its page's work."""
    link = _Link("strategies:issue")
    out: list[str] = []
    for root in roots:
        href, name = escape(link(root.issue.path)), escape(str(root.issue.name))
        out.append(f'<h3><a href="{href}">{name}</a></h3>\n')
        if root.children:
            _write_issue_nodes(out, root.children, link)
            out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped


@register.simple_tag
def related_items(related) -> SafeString:
    """A record's related strategies, each a link with its jurisdiction, adoption year and how
    many tags it shares. Written out in Python: every view of a record writes them."""
    detail = _Link("strategies:detail")
    out: list[str] = []
    for other in related:
        adopted = other.adoption_date
        year = (
            f', <time datetime="{adopted.isoformat()}">{adopted.year:04d}</time>' if adopted else ""
        )
        shared = ngettext("%(counter)s shared tag", "%(counter)s shared tags", other.score) % {
            "counter": other.score
        }
        out.append(
            f'<li><a href="{escape(detail(other.strategy_id))}" lang="{escape(other.language)}">'
            f"{escape(other.title)}</a>\n"
            f'<span class="related-facts">{escape(str(other.jurisdiction.name))}{year} · '
            f"{escape(shared, quote=False)}</span></li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped


@lru_cache(maxsize=16384)
def _date_html(adopted, language: str) -> str:
    """A date as the active language writes it (`language`, part of the key), in a <time>:
    formatting a date is the slowest part of a result, and results share their dates."""
    written = escape(date_format(adopted, "DATE_FORMAT"))
    return f'<time datetime="{adopted.isoformat()}">{written}</time>'


@register.simple_tag
def result_items(strategies) -> SafeString:
    """The listed strategies of a results page, each with its links, jurisdiction, ID, adoption
    date, crime types and search snippet. Written out in Python for the same reason as
    facet_options: twenty results, each with a dozen tags, were a large part of the search page's
    rendering."""
    language = get_language()
    detail, jurisdiction = _Link("strategies:detail"), _Link("strategies:jurisdiction")
    # Each a literal, for makemessages; text, not attributes, so quotes stay as they are.
    words = {
        "Synthetic": escape(gettext("Synthetic"), quote=False),
        "Jurisdiction": escape(gettext("Jurisdiction"), quote=False),
        "ID": escape(gettext("ID"), quote=False),
        "Adopted": escape(gettext("Adopted"), quote=False),
        "Date not known": escape(gettext("Date not known"), quote=False),
        "Crime types": escape(gettext("Crime types"), quote=False),
    }
    separator = escape(pgettext("list separator", ", "), quote=False)
    out: list[str] = []
    for strategy in strategies:
        lang = f' lang="{escape(strategy.language)}"' if strategy.language != language else ""
        synthetic = (
            f' <span class="badge-synthetic">{words["Synthetic"]}</span>'
            if strategy.synthetic
            else ""
        )
        adopted = strategy.adoption_date
        date = _date_html(adopted, language) if adopted else words["Date not known"]
        crime_types = getattr(strategy, "crime_type_names", None)
        tags = (
            f"<div><dt>{words['Crime types']}</dt>"
            f"<dd>{separator.join(escape(str(name)) for name in crime_types)}</dd></div>"
            if crime_types
            else ""
        )
        snippet = getattr(strategy, "raw_snippet", "")
        out.append(
            f'<li class="result">\n'
            f'<h3 class="result-title"><a href="{escape(detail(strategy.strategy_id))}"{lang}>'
            f"{escape(strategy.title)}</a>{synthetic}</h3>\n"
            f'<dl class="result-meta">\n'
            f"<div><dt>{words['Jurisdiction']}</dt><dd>"
            f'<a href="{escape(jurisdiction(strategy.jurisdiction_id))}">'
            f"{escape(str(strategy.jurisdiction.name))}</a></dd></div>\n"
            f"<div><dt>{words['ID']}</dt><dd>{escape(strategy.strategy_id)}</dd></div>\n"
            f"<div><dt>{words['Adopted']}</dt><dd>{date}</dd></div>\n"
            f"{tags}</dl>\n"
            + (f'<p class="snippet"{lang}>{snippet_html(snippet)}</p>\n' if snippet else "")
            + "</li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped


@register.simple_tag
def record_articles(articles) -> SafeString:
    """A record's articles under their instruments, each a link to the article's page.
    Written out in Python: a record can implement dozens of articles."""
    link = _Link("strategies:article")
    out: list[str] = []
    for _instrument, grouped in groupby(articles, key=lambda article: article.instrument_id):
        group = list(grouped)
        out.append(f"<h3>{escape(str(group[0].instrument.name))}</h3>\n")
        out.append('<ul class="record-articles">\n')
        for article in group:
            label = gettext("Article %(number)s: %(title)s") % {
                "number": escape(str(article.number)),
                "title": escape(str(article.title)),
            }
            out.append(
                f'<li><a href="{escape(link(article.code))}">{label}</a> '
                f'<span class="article-code">{escape(article.code)}</span></li>\n'
            )
        out.append("</ul>\n")
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped


@register.simple_tag
def crime_type_links(crime_types) -> SafeString:
    """A record's crime types, each a link to the search for that crime type."""
    search = escape(reverse("strategies:search"))
    out: list[str] = []
    for crime_type in crime_types:
        name = str(crime_type.name)
        title = gettext("All strategies on %(name)s") % {"name": name}
        out.append(
            f'<li><a href="{search}?crime_type={escape(quote(crime_type.slug, safe="/"))}" '
            f'title="{escape(title)}">{escape(name)}</a></li>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped

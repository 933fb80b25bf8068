"""Known XSS payloads, fed through every way text enters the catalogue, never come out executable.

Each payload goes in as a title, a summary and (where there is one) a source URL through the admin
add form, the API, `import_strategies` and `import_sherloc`. Then every page that shows the
records is parsed (not grepped): no element, attribute or URL that a browser would run may come
from a payload. The HTML pages, the admin's own pages, the Atom feed's HTML summaries, the API's
summaries (which clients render as HTML) and the CSV export are all checked.
"""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from strategies.models import Strategy
from tests.conftest import SAMPLE_PAGE
from tests.strategies.test_admin import form_data

pytestmark = pytest.mark.django_db

# Every payload says "xss" somewhere, so that a word search finds the records.
PAYLOADS = [
    '<script>alert("xss")</script>',
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    '<img src=x onerror=alert("xss")>',
    "<img src=x onerror=alert('xss')//",  # unclosed
    "<p onclick=\"alert('xss')\">click</p>",
    '<a href="https://example.org/" onmouseover="alert(\'xss\')">xss</a>',
    "<body onload=alert('xss')>",
    "<a href=\"javascript:alert('xss')\">xss</a>",
    "<a href=\"JaVaScRiPt:alert('xss')\">xss</a>",
    "<a href=\" javascript:alert('xss')\">xss</a>",
    "<a href=\"jav&#x09;ascript:alert('xss')\">xss</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert('xss')\">xss</a>",
    "<a href=\"javascript&colon;alert('xss')\">xss</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">xss</a>',
    "<a href=\"vbscript:msgbox('xss')\">xss</a>",
    '<svg onload=alert("xss")>',
    '<svg><script>alert("xss")</script></svg>',
    "<math><a xlink:href=\"javascript:alert('xss')\">xss</a></math>",
    "<iframe src=\"javascript:alert('xss')\"></iframe>",
    '<iframe srcdoc="<script>alert(&quot;xss&quot;)</script>"></iframe>',
    "<object data=\"javascript:alert('xss')\"></object>",
    '<embed src="data:text/html,<script>alert(1)</script>">xss',
    '<scr<script>ipt>alert("xss")</scr</script>ipt>',  # nested, malformed
    '<<script>alert("xss");//<</script>',
    "<a href=\"javascript:alert('xss')\"",  # unclosed tag
    '"><script>alert("xss")</script>',  # breaks out of a quoted attribute
    "'><img src=x onerror=alert('xss')>",
    '&lt;script&gt;alert("xss")&lt;/script&gt;',  # entities that decode to a script tag
    '&#60;script&#62;alert("xss")&#60;/script&#62;',
    "<p style=\"background:url(javascript:alert('xss'))\">xss</p>",
    "<div style=\"width: expression(alert('xss'))\">xss</div>",
    "<style>body{background:url(\"javascript:alert('xss')\")}</style>xss",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss\')">xss',
    "<base href=\"javascript:alert('xss')//\">xss",
    "<form action=\"javascript:alert('xss')\"><button>xss</button></form>",
    "<button formaction=\"javascript:alert('xss')\">xss</button>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xss')>\">",
    "<!--<img src=x onerror=alert('xss')>-->xss",
    '<a href="https://example.org" title=\'"><script>alert(1)</script>\'>xss</a>',
]
URL_PAYLOADS = [
    "javascript:alert('xss')",
    "JaVaScRiPt:alert('xss')",
    " javascript:alert('xss')",
    "jav&#x09;ascript:alert('xss')",
    "data:text/html,<script>alert('xss')</script>",
    "vbscript:msgbox('xss')",
    'https://example.org/"><script>alert("xss")</script>',
    "https://example.org/'onmouseover='alert(1)'",
    "https://example.org/<img/src=x/onerror=alert('xss')>",
]

# -- what counts as executable -------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "xlink:href", "background", "poster",
    "codebase", "cite", "dynsrc", "lowsrc", "ping",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
NEVER_FROM_CONTENT = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}


def url_scheme_is_dangerous(value: str) -> bool:
    # What a browser's URL parser does first: trim C0 controls and spaces, drop tabs and newlines.
    url = re.sub(r"[\t\n\r]", "", value.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r"
                                              "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
                                              "\x1a\x1b\x1c\x1d\x1e\x1f ")).lower()  # fmt: skip
    return url.startswith(DANGEROUS_SCHEMES)


def own_scripts() -> tuple[str, ...]:
    """Where the site's own scripts come from: its static files and the admin's translations."""
    return ("/" + settings.STATIC_URL.lstrip("/"), reverse("admin:jsi18n"))


class ExecutableFinder(HTMLParser):
    """Collects every construct a browser would run, and the page's visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in ("script", "style"):
            self._in.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if not self._in:
            self.text.append(data)
        elif self._in[-1] == "script" and "alert" in data:
            self.problems.append(f"inline script: {data[:80]!r}")
        elif self._in[-1] == "style" and re.search(r"javascript|expression\(", data, re.I):
            self.problems.append(f"style element: {data[:80]!r}")

    def _check(self, tag, attrs):
        where = f"<{tag}>"
        if tag in NEVER_FROM_CONTENT:
            self.problems.append(f"{where} element")
        if tag == "script":
            source = dict(attrs).get("src") or ""
            if source and not source.startswith(own_scripts()):
                self.problems.append(f"{where} from {source!r}")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"{where} refresh")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{where} event handler {name}={value[:60]!r}")
            elif name in URL_ATTRIBUTES and url_scheme_is_dangerous(value):
                self.problems.append(f"{where} {name}={value[:60]!r}")
            elif name == "srcdoc":
                self.problems.append(f"{where} srcdoc")
            elif name == "style" and re.search(r"javascript|expression\(|url\(", value, re.I):
                self.problems.append(f"{where} style={value[:60]!r}")


def executable_in_html(html: str) -> tuple[list[str], str]:
    finder = ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.problems, " ".join("".join(finder.text).split())


def test_the_checker_finds_what_a_browser_would_run():
    """The checker itself must catch each kind of hole, or the tests below prove nothing."""
    for html in [
        '<p><script>alert("xss")</script></p>',
        '<script src="https://evil.example/x.js"></script>',
        '<img src="x" onerror="alert(1)">',
        '<a href="  JaVa&#x09;Script:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<svg onload="alert(1)"></svg>',
        "<iframe></iframe>",
        "<object></object>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<meta http-equiv="refresh" content="0;url=x">',
        '<form><button formaction="javascript:alert(1)">x</button></form>',
    ]:
        assert executable_in_html(html)[0], html
    problems, text = executable_in_html(
        '<p>&lt;script&gt;alert("xss")&lt;/script&gt;</p><a href="https://example.org/">ok</a>'
        f'<script src="/{settings.STATIC_URL.lstrip("/")}catalogue.js"></script>'
    )
    assert problems == []
    assert text == '<script>alert("xss")</script>ok'


# -- the ways in ---------------------------------------------------------------------------------


def _through_admin(client, ids):
    for index, (strategy_id, payload) in enumerate(zip(ids, PAYLOADS, strict=True)):
        fields = {
            "strategy_id": strategy_id,
            "jurisdiction": strategy_id[:3],
            "title": payload,
            "summary": payload,
            "status": "published",
        }
        response = client.post(
            reverse("admin:strategies_strategy_add"),
            form_data(**fields, source_url=URL_PAYLOADS[index % len(URL_PAYLOADS)]),
        )
        if response.status_code == 200:
            # Refused for its URL: the form shown again must be inert too.
            problems, _text = executable_in_html(response.content.decode())
            assert not problems, (payload, problems)
            assert "source_url" in response.context["adminform"].form.errors, payload
            response = client.post(reverse("admin:strategies_strategy_add"), form_data(**fields))
        assert response.status_code == 302, payload


def _through_api(client, ids):
    user = User.objects.create_superuser("api-writer", password="unused")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for index, (strategy_id, payload) in enumerate(zip(ids, PAYLOADS, strict=True)):
        body = {
            "strategy_id": strategy_id,
            "title": payload,
            "jurisdiction": strategy_id[:3],
            "status": "published",
            "summary": payload,
            "source_url": URL_PAYLOADS[index % len(URL_PAYLOADS)],
        }
        response = api.post("/api/v1/strategies/", body, format="json")
        if response.status_code == 400:
            assert list(response.json()["errors"]) == ["source_url"], payload
            response = api.post("/api/v1/strategies/", {**body, "source_url": ""}, format="json")
        assert response.status_code == 201, (payload, response.json())


def _through_import_strategies(tmp_path, ids):
    for index, (strategy_id, payload) in enumerate(zip(ids, PAYLOADS, strict=True)):
        record = {
            "strategy_id": strategy_id,
            "title": payload,
            "jurisdiction": strategy_id[:3],
            "status": "published",
            "summary": payload,
            "source_url": URL_PAYLOADS[index % len(URL_PAYLOADS)],
        }
        path = tmp_path / f"{strategy_id}.jsonl"
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        try:
            call_command("import_strategies", str(path), stderr=io.StringIO())
        except CommandError:
            path.write_text(json.dumps({**record, "source_url": ""}) + "\n", encoding="utf-8")
            call_command("import_strategies", str(path))


SAMPLE_LINES = SAMPLE_PAGE.read_text(encoding="utf-8").split("\n")
TITLE_LINE = SAMPLE_LINES.index("Serious and Organized Crime Strategy")
SUMMARY_LINE = next(i for i, line in enumerate(SAMPLE_LINES) if line.startswith("1 Serious"))
ID_LINE = SAMPLE_LINES.index("GBR0007s")


def _through_import_sherloc(tmp_path, ids):
    for strategy_id, payload in zip(ids, PAYLOADS, strict=True):
        lines = list(SAMPLE_LINES)
        lines[TITLE_LINE] = payload
        lines[SUMMARY_LINE] = f"{payload} and the rest of the paragraph {payload}"
        lines[ID_LINE] = strategy_id
        path = tmp_path / f"{strategy_id}.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        call_command("import_sherloc", str(path))


# -- the ways out --------------------------------------------------------------------------------


def _pages(client, admin_client, jurisdiction: str, strategies: list[Strategy]):
    """(name, kind, body) of every page showing the records; kind says how to read it."""
    search = reverse("strategies:search")
    for params in ({"jurisdiction": jurisdiction}, {"jurisdiction": jurisdiction, "q": "xss"}):
        for page in (1, 2):
            response = client.get(search, {**params, "page": page})
            assert response.status_code == 200
            yield f"search {params} page {page}", "html", response.content.decode()
    feed = client.get(reverse("strategies:feed"), {"jurisdiction": jurisdiction})
    yield "feed", "atom", feed.content.decode()
    for path in (reverse("strategies:export-csv"), "/api/v1/strategies/export.csv"):
        response = client.get(path, {"jurisdiction": jurisdiction})
        yield f"csv {path}", "csv", response
    changelist = reverse("admin:strategies_strategy_changelist")
    response = admin_client.get(changelist, {"jurisdiction__code": jurisdiction, "q": "xss"})
    yield "admin list", "html", response.content.decode()
    for strategy in strategies:
        sid = strategy.strategy_id
        yield f"{sid} page", "html", client.get(reverse("strategies:detail", args=[sid])).content
        yield f"{sid} json", "api", client.get(reverse("strategies:detail-json", args=[sid]))
        yield f"{sid} api", "api", client.get(f"/api/v1/strategies/{sid}/")
        change = reverse("admin:strategies_strategy_change", args=[strategy.pk])
        yield f"{sid} admin", "html", admin_client.get(change).content
        history = reverse("admin:strategies_strategy_history", args=[strategy.pk])
        yield f"{sid} admin history", "html", admin_client.get(history).content


def _problems(name: str, kind: str, body) -> list[str]:
    if kind == "html":
        html = body.decode() if isinstance(body, bytes) else body
        return [f"{name}: {problem}" for problem in executable_in_html(html)[0]]
    if kind == "atom":
        root = ET.fromstring(body.encode())
        found = []
        for element in root.iter():
            tag = element.tag.rpartition("}")[2]
            assert tag not in ("script", "iframe", "object"), f"{name}: <{tag}> in the feed"
            if element.get("type") == "html" and element.text:
                found += [f"{name} {tag}: {p}" for p in executable_in_html(element.text)[0]]
            if tag == "link" and url_scheme_is_dangerous(element.get("href", "")):
                found.append(f"{name}: link {element.get('href')!r}")
        return found
    if kind == "api":
        assert body.status_code == 200, name
        assert body["Content-Type"].startswith("application/json"), name
        assert body["X-Content-Type-Options"] == "nosniff", name
        record = body.json()
        found = [f"{name} summary: {p}" for p in executable_in_html(record["summary"])[0]]
        if url_scheme_is_dangerous(record["source_url"]):
            found.append(f"{name}: source_url {record['source_url']!r}")
        return found
    if kind == "csv":
        assert body.status_code == 200, name
        assert body["Content-Type"].startswith("text/csv"), name
        assert body["Content-Disposition"].startswith("attachment"), name
        assert body["X-Content-Type-Options"] == "nosniff", name
        text = b"".join(body.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        return [
            f"{name}: formula cell {cell[:40]!r}"
            for row in rows[1:]
            for cell in row
            if cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        ]
    raise AssertionError(kind)


ENTRIES = {
    "admin": ("NLD", lambda client, tmp_path, ids: _through_admin(client, ids)),
    "api": ("FRA", lambda client, tmp_path, ids: _through_api(client, ids)),
    "import_strategies": (
        "DEU",
        lambda c, tmp_path, ids: _through_import_strategies(tmp_path, ids),
    ),
    "import_sherloc": ("GBR", lambda c, tmp_path, ids: _through_import_sherloc(tmp_path, ids)),
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """These tests read the API far faster than an anonymous client may."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "export": "100000/min"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("entry", ENTRIES)
def test_no_payload_comes_out_executable(entry, client, admin_client, tmp_path):
    jurisdiction, enter = ENTRIES[entry]
    ids = [f"{jurisdiction}{number:04d}s" for number in range(1, len(PAYLOADS) + 1)]
    enter(admin_client, tmp_path, ids)
    strategies = list(Strategy.objects.filter(strategy_id__in=ids).order_by("strategy_id"))
    assert [s.strategy_id for s in strategies] == ids

    # The payloads went in and are shown, as text: the titles read as typed.
    for strategy, payload in zip(strategies, PAYLOADS, strict=True):
        assert strategy.title == payload
        page = client.get(reverse("strategies:detail", args=[strategy.strategy_id]))
        assert page.status_code == 200
        assert payload in executable_in_html(page.content.decode())[1]

    problems = [
        problem
        for name, kind, body in _pages(client, admin_client, jurisdiction, strategies)
        for problem in _problems(name, kind, body)
    ]
    assert not problems, "\n".join(problems[:40])

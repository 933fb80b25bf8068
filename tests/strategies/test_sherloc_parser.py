"""The SHERLOC page parser, on the real sample page and on damaged or translated copies of it.

No database: the vocabulary is built here from the JSON fixtures, as plain data.
"""

import dataclasses
import datetime
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from django.conf import settings

from strategies.importers.sherloc import (
    SECTION_FIELDS,
    PageError,
    PageLabels,
    ParseResult,
    SherlocVocabulary,
    normalise_label,
    parse_sherloc_page,
)

if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    # Run without pytest-django (-p no:django): the parser needs nothing but gettext.
    settings.configure(USE_I18N=True)
    django.setup()

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLE = FIXTURES / "samples" / "GBR0007s.txt"

CRIME_TYPES = [
    "corruption",
    "terrorism",
    "environment",
    "drugs",
    "firearms",
    "money-laundering",
    "trafficking-in-persons",
    "cybercrime",
    "organized-criminal-group",
    "smuggling-of-migrants",
]
ARTICLES = [f"UNTOC-{number}" for number in (5, 6, 7, 9, 11, 12, 19, 20, 24, 25, 27, 28, 29, 31)]
CROSS_CUTTING_LEAVES = [
    "criminalization/details/juvenile-offenders",
    "criminalization/details/organized-criminal-group-involved",
    "criminalization/details/transnational",
    "investigation/confiscation-and-seizure-of/proceeds-of-crime",
    "investigation/measures/identify-trace-freeze-seize",
    "investigation/measures/access-to-financial-records",
    "investigation/computer-investigations/remote-forensics",
    "investigation/law-enforcement-cooperation/exchange-of-information",
    "investigation/law-enforcement-cooperation/joint-investigative-teams",
    "investigation/law-enforcement-cooperation/financial-investigations",
    "investigation/law-enforcement-cooperation/suspects-identity-whereabouts",
    "investigation/law-enforcement-cooperation/movement-of-proceeds",
    "victims/victims-of-crime/details/victims-of-crime",
    "victims/victims-of-crime/rights/assistance-and-protection",
    "victims/victims-of-crime/protection-measures/cooperation-with-ngos",
    "international-cooperation/legal-basis/multilateral-instruments",
    "international-cooperation/police-cooperation/competent-authorities-directory",
    "prevention/awareness-raising",
    "prevention/risk-factors",
    "prevention/resilience-after-victimization",
    "prevention/community-policing",
    "prevention/groups-at-risk-of-crime",
    "prevention/civil-society-and-private-sector",
    "prevention/community-wide-prevention",
    "prevention/youth-crime-and-gangs",
    "prevention/legislative-measures",
    "prevention/institutions",
    "prevention/policies",
    "prevention/crime-prevention-strategies-and-policies",
]
LAST_SENTENCE = "Fewer young people are engaging in criminal activity or reoffending."
BULLETED_SENTENCES = [
    "new data and intelligence capabilities have targeted and disrupted serious and organised "
    "criminals and networks in new ways;",
    "a range of partnerships and working practices are embedded in the UK that enable us to "
    "sharpen and accelerate our response;",
    "overseas partners are working with us more often, more collaboratively and more effectively "
    "to target serious and organised crime affecting the UK; and",
    "we are arresting and prosecuting the key serious and organised criminals, stopping their "
    "abuse, denying and recovering from them their money and assets, dismantling their networks "
    "and breaking their business model.",
]


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def walk_issue_tree(nodes, parent=""):
    """Yield (parent path, node, path) for every node of cross_cutting_issues.json."""
    for node in nodes:
        path = f"{parent}/{node['slug']}" if parent else node["slug"]
        yield parent, node, path
        yield from walk_issue_tree(node.get("children", []), path)


@pytest.fixture(scope="module")
def page_label_tables():
    return load_fixture("sherloc_page_labels.json")


@pytest.fixture(scope="module")
def vocabulary(page_label_tables):
    issue_children: dict[str, dict[str, str]] = {}
    issue_leaves = set()
    for parent, node, path in walk_issue_tree(load_fixture("cross_cutting_issues.json")):
        for label in node["name"].values():
            issue_children.setdefault(parent, {})[label] = path
        if not node.get("children"):
            issue_leaves.add(path)
    (untoc,) = [i for i in load_fixture("instruments.json") if i["code"] == "UNTOC"]
    return SherlocVocabulary(
        page_labels=tuple(
            PageLabels.from_table(language, table) for language, table in page_label_tables.items()
        ),
        crime_types={
            label: crime_type["slug"]
            for crime_type in load_fixture("crime_types.json")
            for label in crime_type["name"].values()
        },
        jurisdictions={
            "大不列颠及北爱尔兰联合王国": "GBR",
            "United Kingdom of Great Britain and Northern Ireland": "GBR",
            "United Kingdom": "GBR",
            "France": "FRA",
        },
        untoc_articles={
            article["number"]: f"UNTOC-{article['number']}" for article in untoc["articles"]
        },
        issue_children=issue_children,
        issue_leaves=frozenset(issue_leaves),
    )


@pytest.fixture(scope="module")
def sample_text():
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample(vocabulary):
    result = parse_sherloc_page(SAMPLE.read_bytes(), vocabulary)
    assert result.errors == []
    return result.strategy


# --- helpers -----------------------------------------------------------------------------------


def line_number(text: str, content: str) -> int:
    """1-based number of the first line that reads `content` (spacing aside)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if normalise_label(line) == content:
            return number
    raise AssertionError(f"no line {content!r}")


def replace_line(text: str, content: str, replacement: str) -> str:
    """Swap the first line reading `content` for `replacement`, keeping line numbers."""
    lines = text.split("\n")
    lines[line_number(text, content) - 1] = replacement
    return "\n".join(lines)


def reorder_sections(text: str, labels: list[str]) -> str:
    """Rebuild the page with its labelled sections in the order given."""
    lines = text.split("\n")
    starts = sorted(line_number(text, label) - 1 for label in labels)
    header = lines[: starts[0]]
    sections = {
        normalise_label(lines[start]): lines[start:end]
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)
    }
    return "\n".join(header + [line for label in labels for line in sections[label]])


ZH_SECTIONS = ["采纳日期", "战略识别号", "导语", "《有组织犯罪公约》条款", "交叉问题", "附件"]


def assert_well_formed(fragment: str) -> None:
    class TagBalance(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag, attrs):
            assert tag in {"p", "ol", "ul", "li"}, tag
            assert attrs == []
            self.open.append(tag)

        def handle_endtag(self, tag):
            assert self.open and self.open[-1] == tag, (self.open, tag)
            self.open.pop()

    checker = TagBalance()
    checker.feed(fragment)
    checker.close()
    assert checker.open == []


def text_of(fragment: str) -> str:
    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    extractor = Text()
    extractor.feed(fragment)
    extractor.close()
    return " ".join(extractor.parts)


def assert_rejected(result: ParseResult, line: int | None, *fragments: str) -> None:
    assert result.strategy is None
    matching = [
        error
        for error in result.errors
        if error.line == line and all(fragment in str(error) for fragment in fragments)
    ]
    assert matching, [str(error) for error in result.errors]
    if line is not None:
        assert str(matching[0]).startswith(f"line {line}: ")


# --- the sample page ---------------------------------------------------------------------------


def test_sample_identity(sample):
    assert sample.strategy_id == "GBR0007s"
    assert sample.title == "Serious and Organized Crime Strategy"
    assert sample.jurisdiction == "GBR"
    assert sample.adoption_date == datetime.date(2018, 11, 1)
    assert sample.page_language == "zh-hans"


def test_sample_crime_types_in_page_order(sample):
    assert sample.crime_types == CRIME_TYPES


def test_sample_articles_in_numeric_order(sample):
    assert sample.articles == ARTICLES


def test_sample_cross_cutting_leaves_by_full_path(sample):
    assert sample.cross_cutting_issues == CROSS_CUTTING_LEAVES


def test_sample_summary_keeps_paragraphs_and_lists(sample):
    summary = sample.summary
    assert summary.startswith(
        "<p>Executive Summary</p>\n<p>1 Serious and organised crime affects more UK citizens"
    )
    assert "<p>Our response</p>" in summary
    for sentence in BULLETED_SENTENCES:
        assert f"<li>{sentence}</li>" in summary
    # Indentation nests the later objectives and the lettered outcomes inside the list.
    assert "<ol><li>Stopping the problem at source" in summary
    assert "<ol><li>a) We have significantly raised" in summary
    assert "by ensuring:<ul><li>new data" in summary
    # An indented paragraph under an item belongs to that item.
    assert "networks<p>We will target our capabilities" in summary
    assert re.sub(r"(</\w+>)+$", "", summary).endswith(f"<li>c) {LAST_SENTENCE}")


def test_sample_summary_is_well_formed(sample):
    assert_well_formed(sample.summary)


def test_sample_summary_keeps_every_sentence(sample, sample_text):
    lines = sample_text.split("\n")
    body = lines[line_number(sample_text, "采纳日期") : line_number(sample_text, "战略识别号") - 1]
    kept = text_of(sample.summary)
    for line in filter(None, map(normalise_label, body)):
        assert re.sub(r"^(?:\d+\.|•)\s*", "", line) in kept


@pytest.mark.parametrize(
    "leak", ["采纳日期", "战略识别号", "导语", "条款", "交叉问题", "附件", "GBR0007s", "2018-11-01"]
)
def test_sample_summary_has_no_labels_or_values(sample, leak):
    assert leak not in sample.summary


# --- the same page saved from the English interface --------------------------------------------


def english_page(text: str, tables) -> str:
    """Translate the sample's interface into English using the English labels of the fixtures."""
    zh, en = tables["zh-hans"], tables["en"]
    page_labels = {zh[key]: en[key] for key in ("database_heading", *SECTION_FIELDS)}
    crime_types = {
        crime_type["name"]["zh-hans"]: crime_type["name"]["en"]
        for crime_type in load_fixture("crime_types.json")
        if "zh-hans" in crime_type["name"]
    }
    tree_labels: dict[str, str] = {}
    for _parent, node, _path in walk_issue_tree(load_fixture("cross_cutting_issues.json")):
        if "zh-hans" in node["name"]:
            english = tree_labels.setdefault(node["name"]["zh-hans"], node["name"]["en"])
            assert english == node["name"]["en"], "a Chinese label with two English ones"
    (untoc,) = [i for i in load_fixture("instruments.json") if i["code"] == "UNTOC"]
    article_titles = {article["number"]: article["title"]["en"] for article in untoc["articles"]}
    article_line = re.compile(r"(\s*•\s*)第(\d+):\s*条\.?\s.*")

    translated = []
    for line in text.split("\n"):
        label = normalise_label(line)
        if label == "大不列颠及北爱尔兰联合王国":
            line = "\u00a0 United Kingdom of Great Britain and Northern Ireland"
        elif label in page_labels:
            line = page_labels[label]
        elif label in crime_types:
            line = crime_types[label]
        elif match := article_line.fullmatch(line):
            number = int(match[2])
            line = match[1] + en["article_line"].format(number=number, title=article_titles[number])
        elif (bare := label.removeprefix("•").strip()) in tree_labels:
            line = ("• " if label.startswith("•") else "") + tree_labels[bare]
        translated.append(line)
    return "\n".join(translated)


def test_english_page_parses_to_the_same_record(vocabulary, sample, sample_text, page_label_tables):
    page = english_page(sample_text, page_label_tables)
    assert "战略" not in page and "条" not in page and "犯罪" not in page  # fully translated
    assert "Article 11: Prosecution, adjudication and sanctions" in page
    assert "• Victims of crime" in page

    result = parse_sherloc_page(page.encode(), vocabulary)

    assert result.errors == []
    assert result.strategy.page_language == "en"
    assert result.strategy == dataclasses.replace(sample, page_language="en")


def test_english_page_reports_unknown_article(vocabulary, sample_text, page_label_tables):
    page = english_page(sample_text, page_label_tables)
    page = page.replace("Article 31: Prevention", "Article 77: Prevention")
    result = parse_sherloc_page(page, vocabulary)
    assert_rejected(result, line_number(page, "• Article 77: Prevention"), "77")


# --- what the parser tolerates -----------------------------------------------------------------


def wrap_chinese_lines_in_unicode_spaces(text: str) -> str:
    # Only lines without Latin letters: the summary's own indentation must stay as it is.
    return "\n".join(
        line if re.search("[A-Za-z]", line) else f"\u3000{line}\u00a0".replace(": 条", ":\u00a0条")
        for line in text.split("\n")
    )


TOLERATED = {
    "bytes": lambda text: text.encode(),
    "str": lambda text: text,
    "CRLF line endings": lambda text: text.replace("\n", "\r\n").encode(),
    "lone CR line endings": lambda text: text.replace("\n", "\r").encode(),
    "byte-order mark": lambda text: b"\xef\xbb\xbf" + text.encode(),
    "byte-order mark in str": lambda text: "\ufeff" + text,
    "non-breaking and ideographic spaces": wrap_chinese_lines_in_unicode_spaces,
    "extra blank lines": lambda text: "\n\n \n" + text.replace("\n", "\n\n\n") + "\n\n\n",
    "trailing spaces": lambda text: text.replace("\n", "  \t\n"),
    "label order": lambda text: reorder_sections(
        text, ["导语", "战略识别号", "采纳日期", "交叉问题", "《有组织犯罪公约》条款", "附件"]
    ),
}


@pytest.mark.parametrize("variant", TOLERATED.values(), ids=TOLERATED.keys())
def test_tolerated_variants_parse_to_the_same_record(vocabulary, sample, sample_text, variant):
    result = parse_sherloc_page(variant(sample_text), vocabulary)
    assert result.errors == []
    assert result.strategy == sample


def test_summary_is_escaped_and_wrapped_lines_join(vocabulary, sample_text):
    page = replace_line(
        sample_text,
        "Executive Summary",
        "Crime & <script>alert(1)</script>\nwrapped onto a second line",
    )
    summary = parse_sherloc_page(page, vocabulary).strategy.summary
    assert summary.startswith(
        "<p>Crime &amp; &lt;script&gt;alert(1)&lt;/script&gt; wrapped onto a second line</p>"
    )
    assert "<script>" not in summary
    assert_well_formed(summary)


def test_repeated_label_inside_the_summary_stays_in_the_summary(vocabulary, sample, sample_text):
    # The real label is the last one on the page; an earlier line with the same words is content.
    page = replace_line(sample_text, "Our response", "导语")
    result = parse_sherloc_page(page, vocabulary)
    assert result.errors == []
    assert result.strategy.summary == sample.summary.replace("Our response", "导语")


# --- what the parser rejects -------------------------------------------------------------------


def test_rejects_bytes_that_are_not_utf8(vocabulary, sample_text):
    data = sample_text.encode()
    offset = data.index(b"Serious and Organized Crime Strategy")
    result = parse_sherloc_page(data[:offset] + b"\xff" + data[offset:], vocabulary)
    assert_rejected(
        result, line_number(sample_text, "Serious and Organized Crime Strategy"), "UTF-8", "0xff"
    )
    assert f"offset {offset}" in str(result.errors[0])


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t \n", "\u3000\u00a0\n".encode()])
def test_rejects_an_empty_file(vocabulary, data):
    result = parse_sherloc_page(data, vocabulary)
    assert result.strategy is None
    assert [str(error) for error in result.errors] == ["the file is empty"]


@pytest.mark.parametrize(
    ("cut_before", "missing"),
    [("交叉问题", ["交叉问题", "附件"]), ("附件", ["附件"]), ("战略识别号", ZH_SECTIONS[1:])],
    ids=["cut before the tree", "cut before the attachments", "cut inside the summary"],
)
def test_rejects_a_truncated_page(vocabulary, sample_text, cut_before, missing):
    page = "\n".join(sample_text.split("\n")[: line_number(sample_text, cut_before) - 1])
    result = parse_sherloc_page(page, vocabulary)
    assert result.strategy is None
    for label in missing:
        assert_rejected(result, None, repr(label), "truncated")
    for label in set(ZH_SECTIONS) - set(missing):
        assert not any(
            repr(label) in str(error) and "truncated" in str(error) for error in result.errors
        )


REJECTED = {
    # name: (line to change, its replacement, offending value the error must name)
    "unknown heading": ("战略数据库", "Some Other Database", "Some Other Database"),
    "unknown crime type": ("洗钱", "海盗行为", "海盗行为"),
    "unknown jurisdiction": ("大不列颠及北爱尔兰联合王国", "\u00a0 Atlantis", "Atlantis"),
    "strategy ID of another country": ("GBR0007s", "FRA0007s", "FRA0007s"),
    "impossible date": ("2018-11-01", "2018-02-30", "2018-02-30"),
    "unknown article number": ("• 第11: 条. 起诉、判决和制裁", "  • 第99: 条 起诉", "99"),
    "unreadable article line": ("• 第12: 条 没收和扣押", "  • 第十二条 没收和扣押", "第十二条"),
    "unknown tree label": ("• 远程法庭", "• 远程取证", "远程取证"),
    "bullet on a node with sub-issues": ("措施", "• 措施", "investigation/measures"),
}


@pytest.mark.parametrize(
    ("content", "replacement", "offending"), REJECTED.values(), ids=REJECTED.keys()
)
def test_rejects_a_bad_line(vocabulary, sample_text, content, replacement, offending):
    page = replace_line(sample_text, content, replacement)
    result = parse_sherloc_page(page.encode(), vocabulary)
    assert_rejected(result, line_number(sample_text, content), offending)


def test_unknown_tree_label_names_the_parents_searched(vocabulary, sample_text):
    page = replace_line(sample_text, "• 远程法庭", "• 远程取证")
    result = parse_sherloc_page(page, vocabulary)
    assert_rejected(
        result,
        line_number(sample_text, "• 远程法庭"),
        "investigation/computer-investigations, investigation, the top level",
    )


def test_strategy_id_mismatch_names_the_jurisdiction(vocabulary, sample_text):
    result = parse_sherloc_page(replace_line(sample_text, "GBR0007s", "FRA0007s"), vocabulary)
    assert_rejected(result, line_number(sample_text, "GBR0007s"), "GBR")


@pytest.mark.parametrize(
    ("content", "missing"), [("GBR0007s", "strategy ID"), ("2018-11-01", "adoption date")]
)
def test_rejects_a_page_without_id_or_date(vocabulary, sample_text, content, missing):
    result = parse_sherloc_page(replace_line(sample_text, content, ""), vocabulary)
    assert_rejected(result, None, f"no {missing}")


def test_rejects_two_different_strategy_ids(vocabulary, sample_text):
    page = replace_line(sample_text, "2018-11-01", "2018-11-01\n\nGBR0008s")
    result = parse_sherloc_page(page, vocabulary)
    assert_rejected(result, line_number(sample_text, "2018-11-01") + 2, "GBR0008s", "GBR0007s")


def test_collects_every_error_in_line_order(vocabulary, sample_text):
    page = sample_text
    for content, replacement in [
        ("洗钱", "海盗行为"),
        ("2018-11-01", "2018-02-30"),
        ("• 第9: 条 反腐败措施", "• 第99: 条 反腐败措施"),
        ("• 政策", "• 没有这个政策"),
    ]:
        page = replace_line(page, content, replacement)
    result = parse_sherloc_page(page, vocabulary)
    assert result.strategy is None
    assert [error.line for error in result.errors] == [
        line_number(sample_text, content)
        for content in ("洗钱", "2018-11-01", "• 第9: 条 反腐败措施", "• 政策")
    ]


# --- small pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u00a0 大不列颠及北爱尔兰联合王国", "大不列颠及北爱尔兰联合王国"),
        ("第11:\u00a0条\u3000 起诉", "第11: 条 起诉"),
        ("  Strategy\t\u2003ID \u200b", "Strategy ID"),
        ("", ""),
    ],
)
def test_normalise_label(raw, expected):
    assert normalise_label(raw) == expected


def test_page_error_reads_with_its_line():
    assert str(PageError(12, "unknown crime type 'x'")) == "line 12: unknown crime type 'x'"
    assert str(PageError(None, "the file is empty")) == "the file is empty"


def test_page_labels_ignore_bookkeeping_keys(page_label_tables):
    labels = PageLabels.from_table("zh-hans", page_label_tables["zh-hans"])
    assert labels.language == "zh-hans"
    assert labels.attachments == "附件"
    assert labels.article_line == "第{number}: 条 {title}"

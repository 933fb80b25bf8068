"""Read a SHERLOC strategy page saved as text into a plain record.

The parser is pure: page text and vocabulary labels come in as plain data, a `ParsedStrategy` or a
list of `PageError`s goes out. Only the import service touches the database.

What a saved page looks like (see fixtures/samples/GBR0007s.txt, saved from the Chinese interface):

    战略数据库                      <- heading; tells us the UI language and so the labels
    腐败 / 恐怖主義 / …             <- crime types, one per line
    Serious and Organized …        <- title
    大不列颠及北爱尔兰联合王国      <- jurisdiction, by its official name (after an NBSP)
    采纳日期 / 战略识别号 / 导语     <- labels whose values are shuffled between them
    《有组织犯罪公约》条款           <- "• 第11: 条 起诉、判决和制裁" lines
    交叉问题                        <- the cross-cutting issues tree, leaves bulleted
    附件                            <- attachments (ignored)

The page does not always put a value under its own label (in the sample the executive summary sits
under the adoption date label and the date under the introduction), so the three leading sections
are read as one pool and each value is recognised by its shape.
"""

from __future__ import annotations

import datetime
import functools
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Labels for the sections of a page, in the order SHERLOC prints them.
SECTION_FIELDS = (
    "adoption_date",
    "strategy_id",
    "introduction",
    "untoc_articles",
    "cross_cutting_issues",
    "attachments",
)
# Sections whose contents are pooled: their values land under each other's labels.
POOLED_SECTION_FIELDS = ("adoption_date", "strategy_id", "introduction")

STRATEGY_ID = re.compile(r"[A-Z]{2,8}\d{4}s")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Zero-width characters are invisible on the page, so a label copied with one must still match.
# (A regular expression: str.translate() with a table is slow on non-Latin text, and a page has
# hundreds of lines, each normalised several times.)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# "1. text", "12) text", "a) text": the page renders <ol> items as "1. ", and some authors letter
# their items by hand.
_ORDERED_MARKER = re.compile(r"(?:\d{1,3}[.)]|[A-Za-z]\))\s+")
_SUMMARY_BULLETS = ("•", "◦", "▪")
_SECOND_STRATEGY_ID = gettext_noop(
    "a second strategy ID %(value)r; line %(line)d already gave %(earlier)r"
)
_SECOND_ADOPTION_DATE = gettext_noop(
    "a second adoption date %(value)r; line %(line)d already gave %(earlier)r"
)
# After a literal part of the article line the page sometimes adds a stray "." or ":".
_STRAY_PUNCTUATION = r"[.:．：]?"


@dataclass(frozen=True)
class PageLabels:
    """The field labels of a strategy page in one UI language."""

    language: str
    database_heading: str
    adoption_date: str
    strategy_id: str
    introduction: str
    untoc_articles: str
    cross_cutting_issues: str
    attachments: str
    article_line: str
    leaf_bullet: str

    @classmethod
    def from_table(cls, language: str, table: Mapping[str, str]) -> PageLabels:
        """Build from one language's table in sherloc_page_labels.json; extra keys are ignored."""
        names = [f.name for f in fields(cls) if f.name != "language"]
        missing = [name for name in names if name not in table]
        if missing:
            raise ValueError(f"page labels for {language!r} lack {', '.join(missing)}")
        return cls(language=language, **{name: table[name] for name in names})


@dataclass(frozen=True)
class SherlocVocabulary:
    """Everything the parser may recognise on a page, as raw labels; the parser normalises them."""

    page_labels: tuple[PageLabels, ...]
    crime_types: Mapping[str, str]
    jurisdictions: Mapping[str, str]
    untoc_articles: Mapping[int, str]
    issue_children: Mapping[str, Mapping[str, str]]
    issue_leaves: frozenset[str]

    @functools.cached_property
    def lookups(self) -> _Lookups:
        """The labels keyed for matching: built on the first page, kept for the next ones."""
        return _Lookups.from_vocabulary(self)


@dataclass(frozen=True)
class PageError:
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ParsedStrategy:
    strategy_id: str
    title: str
    jurisdiction: str
    adoption_date: datetime.date
    summary: str
    crime_types: list[str]
    articles: list[str]
    cross_cutting_issues: list[str]
    page_language: str


@dataclass
class ParseResult:
    strategy: ParsedStrategy | None
    errors: list[PageError]


def normalise_label(text: str) -> str:
    """Turn every kind of Unicode space into one plain space and trim the ends."""
    # str.split() without arguments splits on NBSP, ideographic and the other Unicode spaces.
    return " ".join(_ZERO_WIDTH.sub("", text).split())


def parse_sherloc_page(data: bytes | str, vocabulary: SherlocVocabulary) -> ParseResult:
    """Parse one saved page; return a strategy, or every error found and no strategy."""
    text, decode_error = _decode(data)
    if decode_error is not None:
        return ParseResult(strategy=None, errors=[decode_error])
    lines = _LINE_BREAK.split(text)
    # Each line normalised once: the reader looks at most lines several times.
    normalised = [normalise_label(line) for line in lines]

    heading = next((i for i, line in enumerate(normalised) if line), None)
    if heading is None:
        return ParseResult(strategy=None, errors=[PageError(None, _("the file is empty"))])
    labels = _labels_for_heading(lines[heading], vocabulary.page_labels)
    if labels is None:
        expected = ", ".join(repr(labels.database_heading) for labels in vocabulary.page_labels)
        message = _(
            "expected the heading of a SHERLOC strategy page (%(expected)s), found %(found)r"
        ) % {"expected": expected, "found": normalised[heading]}
        return ParseResult(strategy=None, errors=[PageError(heading + 1, message)])

    reader = _PageReader(lines, normalised, heading, labels, vocabulary.lookups)
    strategy = reader.read()
    errors = sorted(reader.errors, key=lambda error: (error.line is not None, error.line or 0))
    if errors:
        return ParseResult(strategy=None, errors=errors)
    return ParseResult(strategy=strategy, errors=[])


def _decode(data: bytes | str) -> tuple[str, PageError | None]:
    if isinstance(data, str):
        text = data
    else:
        data = bytes(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The bytes before the bad one decoded fine, so they tell us which line it is on.
            line = len(_LINE_BREAK.split(data[: exc.start].decode("utf-8")))
            message = _(
                "the file is not UTF-8 text: byte 0x%(byte)02x at byte offset %(offset)d "
                "cannot be decoded"
            ) % {"byte": data[exc.start], "offset": exc.start}
            return "", PageError(line, message)
    return text.removeprefix("\ufeff"), None


def _label_key(text: str) -> str:
    # Case-insensitive so that a reconstructed English label still matches SHERLOC's capitals.
    return normalise_label(text).casefold()


def _labels_for_heading(line: str, candidates: Iterable[PageLabels]) -> PageLabels | None:
    key = _label_key(line)
    return next(
        (labels for labels in candidates if _label_key(labels.database_heading) == key), None
    )


@dataclass(frozen=True)
class _Lookups:
    """The vocabulary keyed by normalised label (SherlocVocabulary.lookups)."""

    crime_types: dict[str, str]
    jurisdictions: dict[str, str]
    untoc_articles: Mapping[int, str]
    issue_children: dict[str, dict[str, str]]
    issue_leaves: frozenset[str]

    @classmethod
    def from_vocabulary(cls, vocabulary: SherlocVocabulary) -> _Lookups:
        return cls(
            crime_types=_keyed(vocabulary.crime_types),
            jurisdictions=_keyed(vocabulary.jurisdictions),
            untoc_articles=vocabulary.untoc_articles,
            issue_children={
                parent: _keyed(children) for parent, children in vocabulary.issue_children.items()
            },
            issue_leaves=vocabulary.issue_leaves,
        )


def _keyed(labels: Mapping[str, str]) -> dict[str, str]:
    return {_label_key(label): value for label, value in labels.items()}


class _PageReader:
    """Reads one page whose heading (and so whose labels) is known, collecting every error."""

    def __init__(
        self,
        lines: Sequence[str],
        normalised: Sequence[str],
        heading: int,
        labels: PageLabels,
        lookups: _Lookups,
    ) -> None:
        self.lines = lines
        self.normalised = normalised  # normalise_label() of each line
        self.heading = heading
        self.labels = labels
        self.lookups = lookups
        self.errors: list[PageError] = []

    def error(self, index: int | None, message: str) -> None:
        self.errors.append(PageError(None if index is None else index + 1, message))

    def read(self) -> ParsedStrategy | None:
        section_starts = self._find_section_labels()
        if not section_starts:
            return None  # nothing but a heading and crime types: the labels' errors say it all
        ordered_starts = sorted(section_starts.items(), key=lambda item: item[1])
        section_lines = {
            name: range(start + 1, next_start)
            for (name, start), next_start in zip(
                ordered_starts,
                [start for _name, start in ordered_starts[1:]] + [len(self.lines)],
                strict=True,
            )
        }

        crime_types, title, jurisdiction = self._read_header(end=ordered_starts[0][1])
        pooled = [
            section_lines[name] for name, _start in ordered_starts if name in POOLED_SECTION_FIELDS
        ]
        strategy_id, adoption_date, summary = self._read_pooled_sections(pooled)
        articles = self._read_articles(section_lines.get("untoc_articles", ()))
        issues = self._read_cross_cutting_issues(section_lines.get("cross_cutting_issues", ()))

        if strategy_id is not None and jurisdiction is not None:
            id_index, id_value = strategy_id
            prefix = id_value[:-5]
            if prefix != jurisdiction:
                self.error(
                    id_index,
                    _(
                        "the strategy ID %(id)r does not belong to the jurisdiction "
                        "%(code)s: it should start with %(code)s, not %(prefix)s"
                    )
                    % {"id": id_value, "code": jurisdiction, "prefix": prefix},
                )

        if (
            self.errors
            or strategy_id is None
            or title is None
            or jurisdiction is None
            or adoption_date is None
        ):
            return None
        return ParsedStrategy(
            strategy_id=strategy_id[1],
            title=title,
            jurisdiction=jurisdiction,
            adoption_date=adoption_date,
            summary=summary,
            crime_types=crime_types,
            articles=articles,
            cross_cutting_issues=issues,
            page_language=self.labels.language,
        )

    def _find_section_labels(self) -> dict[str, int]:
        """Map each section to the index of its label line, reporting labels that never appear."""
        wanted = {_label_key(getattr(self.labels, name)): name for name in SECTION_FIELDS}
        starts: dict[str, int] = {}
        for index in range(self.heading + 1, len(self.lines)):
            name = wanted.get(self.normalised[index].casefold())
            if name is not None:
                # The last occurrence wins: a summary may well contain a line "Introduction", and
                # the summary comes before the real labels that follow it on the page.
                starts[name] = index
        last_line = max(i for i, line in enumerate(self.normalised) if line) + 1
        for name in SECTION_FIELDS:
            if name not in starts:
                self.error(
                    None,
                    _(
                        "expected the section label %(label)r, but it never appears: the page "
                        "looks truncated (its last line is %(last)d)"
                    )
                    % {"label": getattr(self.labels, name), "last": last_line},
                )
        return starts

    def _read_header(self, end: int) -> tuple[list[str], str | None, str | None]:
        """Crime types, then the title, then the jurisdiction, before the first section label."""
        values = [i for i in range(self.heading + 1, end) if self.normalised[i]]
        if len(values) < 2:
            self.error(
                end,
                _("expected the strategy title and the jurisdiction before %(label)r")
                % {"label": self.normalised[end]},
            )
            return [], None, None
        *crime_type_lines, title_line, jurisdiction_line = values

        crime_types: list[str] = []
        for index in crime_type_lines:
            label = self.normalised[index]
            slug = self.lookups.crime_types.get(label.casefold())
            if slug is None:
                self.error(index, _("unknown crime type %(label)r") % {"label": label})
            elif slug not in crime_types:
                crime_types.append(slug)

        name = self.normalised[jurisdiction_line]
        jurisdiction = self.lookups.jurisdictions.get(name.casefold())
        if jurisdiction is None:
            self.error(jurisdiction_line, _("unknown jurisdiction %(name)r") % {"name": name})
        return crime_types, self.normalised[title_line], jurisdiction

    def _read_pooled_sections(
        self, sections: Sequence[range]
    ) -> tuple[tuple[int, str] | None, datetime.date | None, str]:
        """Pick the ID and the date out by their shape; everything else is the summary."""
        strategy_id: tuple[int, str] | None = None
        adoption_date: tuple[int, datetime.date] | None = None
        saw_date = False
        summary_lines: list[str | None] = []
        for section in sections:
            summary_lines.append(None)  # a label between two sections ends any open paragraph
            for index in section:
                line = self.lines[index]
                value = self.normalised[index]
                if STRATEGY_ID.fullmatch(value):
                    strategy_id = self._only_value(strategy_id, (index, value), _SECOND_STRATEGY_ID)
                    summary_lines.append(None)
                elif ISO_DATE.fullmatch(value):
                    saw_date = True
                    try:
                        parsed = datetime.date.fromisoformat(value)
                    except ValueError:
                        self.error(
                            index, _("impossible adoption date %(value)r") % {"value": value}
                        )
                    else:
                        adoption_date = self._only_value(
                            adoption_date, (index, parsed), _SECOND_ADOPTION_DATE
                        )
                    summary_lines.append(None)
                else:
                    summary_lines.append(line)

        searched = ", ".join(repr(getattr(self.labels, name)) for name in POOLED_SECTION_FIELDS)
        if strategy_id is None:
            self.error(
                None,
                _("no strategy ID (such as GBR0007s) on a line of its own under %(labels)s")
                % {"labels": searched},
            )
        if adoption_date is None and not saw_date:
            self.error(
                None,
                _("no adoption date (YYYY-MM-DD) on a line of its own under %(labels)s")
                % {"labels": searched},
            )
        bullets = tuple(dict.fromkeys((*_SUMMARY_BULLETS, self.labels.leaf_bullet)))
        return (
            strategy_id,
            adoption_date[1] if adoption_date else None,
            _summary_html(summary_lines, bullets),
        )

    def _only_value(
        self, earlier: tuple[int, Any] | None, found: tuple[int, Any], message: str
    ) -> tuple[int, Any]:
        """Keep the first value found; a different second one is an error, a repeat is not."""
        if earlier is not None and earlier[1] != found[1]:
            self.error(
                found[0],
                _(message)
                % {"value": str(found[1]), "line": earlier[0] + 1, "earlier": str(earlier[1])},
            )
        return earlier or found

    def _read_articles(self, indices: Iterable[int]) -> list[str]:
        pattern = _article_line_pattern(self.labels)
        codes: dict[int, str] = {}
        for index in indices:
            line = self.normalised[index]
            if not line:
                continue
            match = pattern.fullmatch(line)
            if match is None:
                example = self.labels.article_line.format(number=11, title="…")
                self.error(
                    index,
                    _("expected an article line such as %(example)r, found %(found)r")
                    % {"example": example, "found": line},
                )
                continue
            number = int(match["number"])
            code = self.lookups.untoc_articles.get(number)
            if code is None:
                self.error(
                    index,
                    _("unknown Organized Crime Convention article number %(number)d in %(found)r")
                    % {"number": number, "found": line},
                )
            else:
                codes[number] = code
        return [codes[number] for number in sorted(codes)]

    def _read_cross_cutting_issues(self, indices: Iterable[int]) -> list[str]:
        """Follow the tree: bare lines set the ancestor path, bulleted lines are tagged leaves."""
        bullet = self.labels.leaf_bullet
        ancestor = ""  # slug path of the deepest ancestor seen; "" is above the roots
        tagged: list[str] = []
        for index in indices:
            line = self.normalised[index]
            if not line:
                continue
            is_tagged = line.startswith(bullet)
            label = normalise_label(line[len(bullet) :]) if is_tagged else line
            path, searched = self._resolve_issue(label, ancestor)
            if path is None:
                self.error(
                    index,
                    _("unknown cross-cutting issue %(label)r (looked under %(searched)s)")
                    % {"label": label, "searched": ", ".join(searched)},
                )
            elif not is_tagged:
                ancestor = path
            elif path not in self.lookups.issue_leaves:
                self.error(
                    index,
                    _(
                        "%(label)r (%(path)s) carries the %(bullet)r of a tagged issue, "
                        "but it has sub-issues"
                    )
                    % {"label": label, "path": path, "bullet": bullet},
                )
            elif path not in tagged:
                tagged.append(path)
        return tagged

    def _resolve_issue(self, label: str, ancestor: str) -> tuple[str | None, list[str]]:
        """Look among the children of the ancestor, then of its parent, …, then the roots.

        Labels repeat ("详情" under several parents, "犯罪受害者" at two levels), so the nearest
        ancestor that has a child of that name is the one the page means. Returns the path, or
        None and the ancestors looked under.
        """
        key = label.casefold()  # the label is normalised already
        searched: list[str] = []
        parent: str | None = ancestor
        while parent is not None:
            path = self.lookups.issue_children.get(parent, {}).get(key)
            if path is not None:
                return path, []
            searched.append(parent)
            parent = parent.rpartition("/")[0] if parent else None
        return None, [parent or _("the top level") for parent in searched]


@functools.cache
def _article_line_pattern(labels: PageLabels) -> re.Pattern[str]:
    """Turn a template like "第{number}: 条 {title}" into a forgiving regular expression.

    The match is made against a normalised line and tolerates a leading bullet, any spacing and a
    stray dot or colon after each literal part (the sample has "第11: 条. 起诉、判决和制裁").
    """
    template = labels.article_line
    if "{number}" not in template or "{title}" not in template:
        raise ValueError(f"article line template {template!r} needs {{number}} and {{title}}")
    parts = [rf"(?:{re.escape(labels.leaf_bullet)})?"]
    for piece in re.split(r"(\{number\}|\{title\})", template):
        if piece == "{number}":
            parts.append(r"(?P<number>\d+)")
        elif piece == "{title}":
            parts.append(r"(?P<title>.*?)")
        elif piece.strip():
            words = r"\s*".join(re.escape(word) for word in piece.split())
            parts.append(words + _STRAY_PUNCTUATION)
    return re.compile(r"\s*".join(parts), re.IGNORECASE)


# --- the executive summary as HTML ------------------------------------------------------------


@dataclass
class _Paragraph:
    indent: int
    lines: list[str]


@dataclass
class _ListItem:
    marker_indent: int
    text: str
    blocks: list[_Paragraph | _List] = field(default_factory=list)


@dataclass
class _List:
    ordered: bool
    marker_indent: int
    items: list[_ListItem] = field(default_factory=list)


def _summary_html(lines: Iterable[str | None], bullets: Sequence[str] = _SUMMARY_BULLETS) -> str:
    """Rebuild paragraphs and (nested) lists from saved page lines; None ends a paragraph.

    The saved text keeps the page's indentation, which is all there is to tell a nested list or
    a paragraph belonging to a list item from a top-level paragraph. A line indented further
    than an open item's marker belongs to that item; a line at or left of it closes the item.
    Consecutive plain lines at the same indentation are one wrapped paragraph.
    """
    top: list[_Paragraph | _List] = []
    open_items: list[tuple[_List, _ListItem]] = []
    paragraph: _Paragraph | None = None  # the paragraph the next line would continue
    for raw in lines:
        text = normalise_label(raw) if raw is not None else ""
        if raw is None or not text:
            paragraph = None
            continue
        expanded = _ZERO_WIDTH.sub("", raw).expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip())
        ordered, item_text = _list_marker(text, bullets)

        sibling_list: _List | None = None
        while open_items:
            open_list, item = open_items[-1]
            if indent > item.marker_indent:
                break
            open_items.pop()
            if ordered == open_list.ordered and indent == open_list.marker_indent:
                sibling_list = open_list
                break
        blocks = open_items[-1][1].blocks if open_items else top

        if ordered is not None:
            if sibling_list is None:
                sibling_list = _List(ordered=ordered, marker_indent=indent)
                blocks.append(sibling_list)
            item = _ListItem(marker_indent=indent, text=item_text)
            sibling_list.items.append(item)
            open_items.append((sibling_list, item))
            paragraph = None
        elif (
            paragraph is not None
            and paragraph.indent == indent
            and blocks
            and blocks[-1] is paragraph
        ):
            paragraph.lines.append(text)
        else:
            paragraph = _Paragraph(indent=indent, lines=[text])
            blocks.append(paragraph)
    return "\n".join(_render(block) for block in top)


def _list_marker(text: str, bullets: Sequence[str]) -> tuple[bool | None, str]:
    """(True, text) for an ordered item, (False, text) for a bulleted one, (None, text) else."""
    for bullet in bullets:
        if text.startswith(bullet):
            return False, text[len(bullet) :].strip()
    marker = _ORDERED_MARKER.match(text)
    if marker is not None:
        # Only the first marker goes: in "1. a) We have…" the "a)" is the author's own lettering.
        return True, text[marker.end() :]
    return None, text


def _render(block: _Paragraph | _List) -> str:
    if isinstance(block, _Paragraph):
        return f"<p>{_escape(' '.join(block.lines))}</p>"
    tag = "ol" if block.ordered else "ul"
    items = "".join(
        f"<li>{_escape(item.text)}{''.join(_render(child) for child in item.blocks)}</li>"
        for item in block.items
    )
    return f"<{tag}>{items}</{tag}>"


def _escape(text: str) -> str:
    # Text nodes only: quotes need no escaping there and would just clutter the stored summary.
    return html.escape(text, quote=False)

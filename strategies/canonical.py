"""The one canonical JSON form of a strategy, shared by export, import and the API.

Field order and list order are fixed so that export -> import -> export is byte-identical:
crime types by slug, articles by instrument then number, cross-cutting issues by slug path.
"""

import datetime
from typing import Any

import orjson
from django.utils.translation import gettext as _

from .models import Strategy, canonical_attachments
from .services import AttachmentData, StrategyData

FIELDS = (
    "strategy_id",
    "title",
    "jurisdiction",
    "adoption_date",
    "language",
    "status",
    "summary",
    "source_url",
    "crime_types",
    "articles",
    "cross_cutting_issues",
    "attachments",
)
ATTACHMENT_FIELDS = ("file", "title", "language")


def to_canonical(strategy: Strategy) -> dict[str, Any]:
    """The canonical dict; call on rows fetched with `.with_tag_codes()` (or `.with_tags()`) to
    avoid queries per strategy."""
    tags = getattr(strategy, "tag_codes", None) or _tag_codes(strategy)
    return {
        "strategy_id": strategy.strategy_id,
        "title": strategy.title,
        "jurisdiction": strategy.jurisdiction_id,
        "adoption_date": strategy.adoption_date.isoformat() if strategy.adoption_date else None,
        "language": strategy.language,
        "status": strategy.status,
        "summary": strategy.summary,
        "source_url": strategy.source_url,
        "crime_types": tags["crime_types"],
        "articles": tags["articles"],
        "cross_cutting_issues": tags["cross_cutting_issues"],
        "attachments": _attachments(strategy),
    }


def _attachments(strategy: Strategy) -> list[dict[str, str]]:
    """The attachments `attach_codes` set as `attachment_values`, or else read from the
    strategy's relation (prefetched or not), in the same order."""
    values = getattr(strategy, "attachment_values", None)
    if values is not None:
        return values
    return canonical_attachments(
        (a.file.name, a.title, a.language) for a in strategy.attachments.all()
    )


def _tag_codes(strategy: Strategy) -> dict[str, list[str]]:
    """What `attach_codes` sets as `tag_codes`, from the strategy's relations (prefetched or
    not)."""
    return {
        "crime_types": sorted(crime_type.slug for crime_type in strategy.crime_types.all()),
        "articles": [
            article.code
            for article in sorted(
                strategy.articles.all(),
                key=lambda a: (a.instrument.position, a.instrument.code, a.number),
            )
        ],
        "cross_cutting_issues": sorted(issue.path for issue in strategy.cross_cutting_issues.all()),
    }


def to_json_line(strategy: Strategy) -> str:
    # What json.dumps(ensure_ascii=False, separators=(",", ":")) writes, much faster.
    return orjson.dumps(to_canonical(strategy)).decode() + "\n"


class CanonicalFormError(ValueError):
    """The JSON is not a strategy in canonical form; the message says which field and why."""


def _string(record: dict, name: str, *, allow_empty: bool = True) -> str:
    value = record.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CanonicalFormError(
            _("“%(field)s” must be a string, not %(value)s") % {"field": name, "value": value}
        )
    if not allow_empty and not value.strip():
        raise CanonicalFormError(_("“%(field)s” is required") % {"field": name})
    return value


def _string_list(record: dict, name: str) -> list[str]:
    value = record.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CanonicalFormError(
            _("“%(field)s” must be a list of codes (strings)") % {"field": name}
        )
    return value


def from_canonical(record: Any) -> StrategyData:
    """Check the shape of a canonical dict and turn it into StrategyData for the save service.

    Shape only: whether codes exist is the service's business, so that the admin, the API and
    every importer report unknown codes in the same words.
    """
    if not isinstance(record, dict):
        raise CanonicalFormError(_("expected a JSON object for one strategy"))
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise CanonicalFormError(
            _("unknown field(s) %(fields)s; expected only %(expected)s")
            % {"fields": ", ".join(unknown), "expected": ", ".join(FIELDS)}
        )
    adoption_date = record.get("adoption_date")
    if adoption_date is not None:
        if not isinstance(adoption_date, str):
            raise CanonicalFormError(_("“adoption_date” must be a date like 2018-11-01"))
        try:
            adoption_date = datetime.date.fromisoformat(adoption_date)
        except ValueError:
            raise CanonicalFormError(
                _("“adoption_date” %(value)r is not a real date in the form YYYY-MM-DD")
                % {"value": record["adoption_date"]}
            ) from None
    attachments = record.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise CanonicalFormError(_("“attachments” must be a list of objects"))
    for attachment in attachments:
        extra = sorted(set(attachment) - set(ATTACHMENT_FIELDS))
        if extra:
            raise CanonicalFormError(
                _("unknown attachment field(s) %(fields)s") % {"fields": ", ".join(extra)}
            )
    return StrategyData(
        strategy_id=_string(record, "strategy_id", allow_empty=False),
        title=_string(record, "title"),
        jurisdiction=_string(record, "jurisdiction", allow_empty=False),
        adoption_date=adoption_date,
        language=_string(record, "language") or "en",
        status=_string(record, "status") or "draft",
        summary=_string(record, "summary"),
        source_url=_string(record, "source_url"),
        crime_types=_string_list(record, "crime_types"),
        articles=_string_list(record, "articles"),
        cross_cutting_issues=_string_list(record, "cross_cutting_issues"),
        attachments=[
            AttachmentData(
                file=_string(a, "file", allow_empty=False),
                title=_string(a, "title"),
                language=_string(a, "language") or "en",
            )
            for a in attachments
        ],
    )

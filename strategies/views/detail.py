"""A strategy's own page and its canonical JSON. Drafts are never public: they answer 404."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from taxonomy.models import CrossCuttingIssue

from ..canonical import to_canonical
from ..citation import Citation, citation_bibtex, citation_text
from ..models import Attachment, Strategy
from ..related import related_strategies
from ..vocabularies import Vocabularies, current_vocabularies, strategy_tags


@dataclass
class IssueNode:
    """A node of the tree of a record's cross-cutting issues: a tagged issue or its ancestor."""

    issue: CrossCuttingIssue
    tagged: bool = False
    children: list[IssueNode] = field(default_factory=list)


def issue_tree(tagged: list[CrossCuttingIssue], vocabularies: Vocabularies) -> list[IssueNode]:
    """The tagged issues under their ancestors, siblings in the vocabulary's order."""
    nodes: dict[str, IssueNode] = {}
    tagged_paths = {issue.path for issue in tagged}
    for issue in tagged:
        for node in vocabularies.lineage(issue):
            nodes.setdefault(node.path, IssueNode(node, tagged=node.path in tagged_paths))
    roots: list[IssueNode] = []
    for path, node in nodes.items():
        parent = nodes.get(path.rpartition("/")[0])
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: child.issue.position)
    return sorted(roots, key=lambda root: root.issue.position)


@dataclass
class AttachmentEntry:
    attachment: Attachment
    size: int | None  # None when the file is missing from the media store


def _attachment_entries(strategy: Strategy) -> list[AttachmentEntry]:
    entries = []
    for attachment in strategy.attachments.all():
        try:
            size = attachment.file.size
        except OSError:
            # A missing file should not take the whole record page down with it.
            size = None
        entries.append(AttachmentEntry(attachment, size))
    return entries


@require_safe
def strategy_detail(request, strategy_id: str):
    # The strategy, its tags' ids (one query) and its attachments, read only when it has some
    # (most have none); every name, region, instrument and ancestor comes from the vocabularies
    # this process keeps per catalogue version.
    strategies = Strategy.objects.published().annotate(
        has_attachments=Exists(Attachment.objects.filter(strategy=OuterRef("pk")))
    )
    strategy = get_object_or_404(strategies, strategy_id=strategy_id)
    vocabularies = current_vocabularies()
    vocabularies.give_jurisdictions([strategy])
    tags = strategy_tags(strategy, vocabularies)
    page_url = request.build_absolute_uri(reverse("strategies:detail", args=[strategy_id]))
    citation = Citation(
        author=strategy.jurisdiction.name,
        title=strategy.title,
        strategy_id=strategy.strategy_id,
        adopted=strategy.adoption_date,
        url=page_url,
        accessed=timezone.localdate(),
        catalogue=_("Strategies against organized crime catalogue"),
    )
    language = get_language()
    context = {
        "strategy": strategy,
        "crime_types": tags.crime_types,
        "articles": tags.articles,
        "issue_tree": issue_tree(tags.issues, vocabularies),
        "attachments": _attachment_entries(strategy) if strategy.has_attachments else [],
        "related": related_strategies(
            strategy,
            articles=[article.code for article in tags.articles],
            issues=[issue.path for issue in tags.issues],
            vocabularies=vocabularies,
        ),
        # The record's own language, marked where it differs from the interface's so that
        # screen readers and hyphenation treat the title and summary right.
        "record_lang": strategy.language if strategy.language != language else "",
        "record_dir": "rtl" if strategy.language in settings.LANGUAGES_BIDI else "ltr",
        "citation_text": citation_text(citation),
        "citation_bibtex": citation_bibtex(citation),
    }
    return render(request, "strategies/strategy_detail.html", context)


@require_safe
def strategy_json(request, strategy_id: str):
    """The canonical form, the same as one line of the JSON Lines export."""
    strategies = Strategy.objects.published().with_tag_codes()
    strategy = get_object_or_404(strategies, strategy_id=strategy_id)
    return JsonResponse(to_canonical(strategy), json_dumps_params={"ensure_ascii": False})

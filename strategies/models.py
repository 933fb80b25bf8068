"""Strategy records and their attachments.

Models hold data and the rules that must always hold (constraints, sanitising on save). Writes that
involve several records or vocabularies go through strategies.services.
"""

import re
from pathlib import PurePath

from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .attachments import validate_attachment
from .richtext import sanitise_summary

# A strategy ID is its jurisdiction's code, four digits and "s": GBR0007s, SADC0001s.
STRATEGY_ID_RE = re.compile(r"^([A-Z]{2,8})([0-9]{4})s$")
DOCUMENT_LANGUAGES = sorted(global_settings.LANGUAGES, key=lambda item: item[1])


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class StrategyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def with_tags(self):
        """Everything the canonical form needs, in five queries whatever the number of rows."""
        return self.select_related("jurisdiction").prefetch_related(
            models.Prefetch("crime_types", queryset=CrimeType.objects.order_by("slug")),
            models.Prefetch(
                "articles", queryset=Article.objects.select_related("instrument").in_order()
            ),
            models.Prefetch(
                "cross_cutting_issues", queryset=CrossCuttingIssue.objects.order_by("path")
            ),
            "attachments",
        )


class Strategy(models.Model):
    strategy_id = models.CharField(
        _("strategy ID"),
        max_length=13,
        unique=True,
        help_text=_(
            "The jurisdiction's code, four digits and “s”, e.g. GBR0007s. "
            "Leave empty to take the next free ID for the jurisdiction."
        ),
    )
    title = models.CharField(_("title"), max_length=500)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        to_field="code",
        on_delete=models.PROTECT,
        related_name="strategies",
    )
    adoption_date = models.DateField(_("adoption date"), null=True, blank=True)
    language = models.CharField(
        _("document language"), max_length=10, choices=DOCUMENT_LANGUAGES, default="en"
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("Paragraphs, lists, emphasis and links are kept; any other markup is removed."),
    )
    source_url = models.URLField(_("source URL"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    crime_types = models.ManyToManyField(
        CrimeType, verbose_name=_("crime types"), blank=True, related_name="strategies"
    )
    articles = models.ManyToManyField(
        Article, verbose_name=_("articles"), blank=True, related_name="strategies"
    )
    cross_cutting_issues = models.ManyToManyField(
        CrossCuttingIssue,
        verbose_name=_("cross-cutting issues"),
        blank=True,
        related_name="strategies",
        help_text=_("Tag the most specific issues; their ancestors follow from the tree."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Records made by `generate_strategies` for demonstrations and benchmarks; they take IDs
    # from 9999 downwards so that real records keep the low numbers, and are removed together.
    synthetic = models.BooleanField(_("synthetic"), default=False, editable=False, db_index=True)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["strategy_id"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.CheckConstraint(
                condition=Q(strategy_id__regex=r"^[A-Z]{2,8}[0-9]{4}s$"),
                name="strategy_id_format",
                violation_error_message=_(
                    "A strategy ID is the jurisdiction's code, four digits and “s”, e.g. GBR0007s."
                ),
            ),
            models.CheckConstraint(
                condition=Q(strategy_id__startswith=F("jurisdiction_id"))
                & Q(Exact(Length("strategy_id"), Length("jurisdiction_id") + 5)),
                name="strategy_id_matches_jurisdiction",
                violation_error_message=_(
                    "The strategy ID must begin with its jurisdiction's code."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.strategy_id} {self.title}"

    def save(self, *args, **kwargs):
        self.summary = sanitise_summary(self.summary)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        match = STRATEGY_ID_RE.match(self.strategy_id or "")
        if self.strategy_id and not match:
            raise ValidationError(
                {
                    "strategy_id": _(
                        "“%(value)s” is not a strategy ID: it should be the jurisdiction's code, "
                        "four digits and “s”, e.g. GBR0007s."
                    )
                    % {"value": self.strategy_id}
                }
            )
        if match and self.jurisdiction_id and match.group(1) != self.jurisdiction_id:
            raise ValidationError(
                {
                    "strategy_id": _(
                        "The ID “%(value)s” begins with %(prefix)s but the jurisdiction is "
                        "%(jurisdiction)s: it should begin with %(jurisdiction)s."
                    )
                    % {
                        "value": self.strategy_id,
                        "prefix": match.group(1),
                        "jurisdiction": self.jurisdiction_id,
                    }
                }
            )


def attachment_path(attachment: "Attachment", filename: str) -> str:
    return f"attachments/{attachment.strategy.strategy_id}/{PurePath(filename).name}"


class Attachment(models.Model):
    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        _("file"), upload_to=attachment_path, max_length=300, validators=[validate_attachment]
    )
    title = models.CharField(_("title"), max_length=300)
    language = models.CharField(
        _("language"), max_length=10, choices=DOCUMENT_LANGUAGES, default="en"
    )

    class Meta:
        ordering = ["strategy", "title", "file"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.title

"""The catalogue's fixed vocabularies.

Every record here is addressed by a stable code (ISO 3166-1 alpha-3 for a country, `UNTOC-11` for an
article, a slug path for a cross-cutting issue); labels are translated per language through
django-modeltranslation (see translation.py) and are never used to look a record up.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

jurisdiction_code_validator = RegexValidator(
    r"^[A-Z]{2,8}\Z",
    _("A jurisdiction code is 2 to 8 capital letters (ISO 3166-1 alpha-3 for a country)."),
)


class Region(models.Model):
    """A UN M49 geographic region, sub-region or intermediate region."""

    class Level(models.IntegerChoices):
        REGION = 1, _("Region")
        SUBREGION = 2, _("Sub-region")
        INTERMEDIATE = 3, _("Intermediate region")

    code = models.CharField(_("M49 code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name


class Jurisdiction(models.Model):
    """A country (by ISO 3166-1 alpha-3) or a regional organisation that adopts strategies."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        ORGANISATION = "organisation", _("Regional organisation")

    code = models.CharField(
        _("code"), max_length=8, unique=True, validators=[jurisdiction_code_validator]
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COUNTRY)
    name = models.CharField(_("short name"), max_length=200)
    official_name = models.CharField(_("official name"), max_length=300, blank=True)
    alpha_2 = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, blank=True)
    numeric = models.CharField(_("ISO 3166-1 numeric"), max_length=3, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subregion = models.ForeignKey(
        Region,
        verbose_name=_("sub-region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    intermediate_region = models.ForeignKey(
        Region,
        verbose_name=_("intermediate region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    members = models.ManyToManyField(
        "self",
        verbose_name=_("member states"),
        symmetrical=False,
        blank=True,
        related_name="organisations",
        help_text=_("For a regional organisation: the countries that belong to it."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self):
        return f"{self.name} ({self.code})"


class CrimeType(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("crime type")
        verbose_name_plural = _("crime types")

    def __str__(self):
        return self.name


class Instrument(models.Model):
    """The Organized Crime Convention or one of its Protocols."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=300)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def in_order(self):
        """Instruments in their own order, then articles by number (11 after 9, not after 1)."""
        return self.order_by("instrument__position", "instrument__code", "number")


class Article(models.Model):
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="articles"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    code = models.CharField(_("code"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=300)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["instrument__position", "instrument__code", "number"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="article_unique_number_per_instrument"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        # The code is derived, never typed: it is the article's public identifier.
        self.code = f"{self.instrument.code}-{self.number}"
        super().save(*args, **kwargs)


class CrossCuttingIssueQuerySet(models.QuerySet):
    def leaves(self):
        return self.filter(is_leaf=True)

    def subtree(self, path: str):
        """The node at `path` and everything beneath it."""
        return self.filter(models.Q(path=path) | models.Q(path__startswith=f"{path}/"))


class CrossCuttingIssue(models.Model):
    """A node of the cross-cutting issues tree; its code is the slash-joined slug path."""

    path = models.CharField(_("slug path"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=100)
    name = models.CharField(_("name"), max_length=300)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_leaf = models.BooleanField(_("leaf"), default=True, editable=False)
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_(
            "Derived from the Convention's provisions rather than seen on a SHERLOC record; "
            "to be confirmed by an editor."
        ),
    )

    # The node itself and all its ancestors, kept in step with `path` on save, so that "tagged
    # anywhere beneath this node" is one join rather than a LIKE over paths.
    lineage = models.ManyToManyField(
        "self",
        verbose_name=_("lineage"),
        symmetrical=False,
        related_name="descendants",
        blank=True,
        editable=False,
    )

    objects = CrossCuttingIssueQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        verbose_name = _("cross-cutting issue")
        verbose_name_plural = _("cross-cutting issues")

    def __str__(self):
        return self.path

    def save(self, *args, **kwargs):
        self.depth = self.path.count("/")
        if self.pk is None:
            self.is_leaf = True
        super().save(*args, **kwargs)
        if self.parent_id:
            CrossCuttingIssue.objects.filter(pk=self.parent_id, is_leaf=True).update(is_leaf=False)
        ancestors = CrossCuttingIssue.objects.filter(path__in=self.ancestor_paths())
        self.lineage.set([self, *ancestors])

    def ancestor_paths(self) -> list[str]:
        """Paths of every ancestor, root first; computed from the path, no query needed."""
        parts = self.path.split("/")
        return ["/".join(parts[:i]) for i in range(1, len(parts))]

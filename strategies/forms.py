"""Forms of the editor admin: the strategy form and the SHERLOC page import.

The strategy form does not validate or save the record itself: it turns what was posted into a
StrategyData and lets `save_strategy()` judge it, the one validation that the importers and the
API go through too.
"""

from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import ModelChoiceIterator, construct_instance
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Article, CrimeType, CrossCuttingIssue

from .models import Status, Strategy
from .services import StrategyData, StrategyValidationError, save_strategy
from .widgets import GroupedCheckboxSelectMultiple, IssueTreeWidget

# A SHERLOC page is tens of kilobytes. The bound keeps a stray upload out of memory, and the
# previewed text must fit back through the hidden field of the save step, which counts against
# DATA_UPLOAD_MAX_MEMORY_SIZE.
SHERLOC_PAGE_MAX_BYTES = 1024 * 1024


def _model_label(name: str) -> str:
    return capfirst(Strategy._meta.get_field(name).verbose_name)


def _model_help(name: str) -> str:
    return Strategy._meta.get_field(name).help_text


class ArticleChoiceIterator(ModelChoiceIterator):
    """The articles as one group of choices per instrument, in the queryset's order."""

    def __iter__(self):
        groups: dict[int, tuple[str, list]] = {}
        for article in self.queryset:
            group = groups.setdefault(article.instrument_id, (article.instrument.name, []))
            group[1].append(self.choice(article))
        yield from groups.values()


class ArticleMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ArticleChoiceIterator
    widget = GroupedCheckboxSelectMultiple

    def label_from_instance(self, article):
        return gettext("%(number)s — %(title)s") % {
            "number": article.number,
            "title": article.title,
        }


class IssueTreeField(forms.ModelMultipleChoiceField):
    """Every node of the tree is a choice, so the widget can draw the headings; only leaves
    may be ticked, as the service requires."""

    widget = IssueTreeWidget

    def label_from_instance(self, issue):
        return issue.name

    def clean(self, value):
        issues = super().clean(value)
        headings = [issue.name for issue in issues if not issue.is_leaf]
        if headings:
            raise ValidationError(
                gettext("“%(names)s” is a heading, not an issue: tick the issues beneath it.")
                % {"names": "”, “".join(headings)},
                code="not_a_leaf",
            )
        return issues


class _DryRun(Exception):
    """Raised inside a savepoint to undo the service's writes once it has judged the record."""


class StrategyForm(forms.ModelForm):
    # Who is editing, for the service's publishing rule; the admin sets it (StrategyAdmin.get_form).
    user = None

    # Tags are posted as their stable codes, not database ids.
    crime_types = forms.ModelMultipleChoiceField(
        label=_model_label("crime_types"),
        queryset=CrimeType.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "crime-type-list"}),
    )
    articles = ArticleMultipleChoiceField(
        label=_model_label("articles"),
        queryset=Article.objects.select_related("instrument").in_order(),
        to_field_name="code",
        required=False,
    )
    cross_cutting_issues = IssueTreeField(
        label=_model_label("cross_cutting_issues"),
        help_text=_model_help("cross_cutting_issues"),
        queryset=CrossCuttingIssue.objects.order_by("position"),
        to_field_name="path",
        required=False,
    )

    # A URL typed without a scheme is taken as https:// (Django 6's default, chosen now).
    source_url = forms.URLField(
        label=_model_label("source_url"),
        max_length=Strategy._meta.get_field("source_url").max_length,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Strategy
        fields = [
            "strategy_id",
            "jurisdiction",
            "title",
            "adoption_date",
            "language",
            "status",
            "summary",
            "source_url",
            "crime_types",
            "articles",
            "cross_cutting_issues",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "strategy_id" in self.fields:
            # Empty means "the next free ID for the jurisdiction", which the service assigns.
            self.fields["strategy_id"].required = False

    def _post_clean(self):
        # A ModelForm would run the model's own validation here. The service runs it instead
        # (it calls full_clean() too, and checks the vocabularies), so that the admin accepts
        # exactly what the importers and the API accept and words each problem the same way.
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        if self.errors:
            return  # the service would only repeat, less precisely, what the fields said
        data = self.strategy_data()
        if (
            self.instance.pk is None
            and data.strategy_id
            and Strategy.objects.filter(strategy_id=data.strategy_id).exists()
        ):
            # The service saves by strategy ID: on the add page that would overwrite a record.
            self._add_service_error(
                "strategy_id",
                gettext(
                    "A strategy with the ID %(strategy_id)s already exists. Leave the field "
                    "empty to take the next free ID."
                )
                % {"strategy_id": data.strategy_id},
            )
            return
        try:
            with transaction.atomic():
                save_strategy(data, user=self.user)
                raise _DryRun
        except _DryRun:
            pass
        except StrategyValidationError as error:
            for name, messages in error.errors.items():
                for message in messages:
                    self._add_service_error(name, message)

    def _add_service_error(self, name: str, message: str) -> None:
        # A read-only field (the ID and jurisdiction on the change page) is not on the form.
        self.add_error(name if name in self.fields else None, message)

    def strategy_data(self) -> StrategyData:
        """The record as the service takes it: the posted fields over the stored values.

        Only meaningful once the form has been validated (the instance then holds the posted
        values)."""
        instance = self.instance

        def codes(name: str, attribute: str) -> list[str]:
            if name in self.cleaned_data:
                objects = self.cleaned_data[name]
            elif instance.pk is not None:
                objects = getattr(instance, name).all()
            else:
                objects = []
            return [getattr(obj, attribute) for obj in objects]

        return StrategyData(
            strategy_id=instance.strategy_id or "",
            title=instance.title,
            jurisdiction=instance.jurisdiction_id or "",
            adoption_date=instance.adoption_date,
            language=instance.language,
            status=instance.status,
            summary=instance.summary,
            source_url=instance.source_url,
            crime_types=codes("crime_types", "slug"),
            articles=codes("articles", "code"),
            cross_cutting_issues=codes("cross_cutting_issues", "path"),
            # None: the admin's inline saves the attachments, after the record.
            attachments=None,
        )


class SherlocPageForm(forms.Form):
    """Step 1 of the import: a SHERLOC page, uploaded or pasted, to preview."""

    page_file = forms.FileField(
        label=_("Page file"),
        required=False,
        # The parser's own "the file is empty" names the file, as the command line's does.
        allow_empty_file=True,
        help_text=_("A SHERLOC strategy page saved as UTF-8 text."),
    )
    page_text = forms.CharField(
        label=_("Or the page's text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 100}),
        help_text=_("Everything on the page, copied from the browser and pasted here."),
    )
    status = forms.ChoiceField(
        label=_("Save as"),
        choices=Status.choices,
        initial=Status.PUBLISHED,
        # The classes the admin's own radio buttons carry, for its stylesheet.
        widget=forms.RadioSelect(attrs={"class": "radiolist inline"}),
    )

    def clean_page_file(self):
        upload = self.cleaned_data["page_file"]
        if upload and upload.size > SHERLOC_PAGE_MAX_BYTES:
            raise ValidationError(
                gettext("“%(name)s” is %(size)s; a SHERLOC page is at most %(limit)s.")
                % {
                    "name": PurePath(upload.name).name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(SHERLOC_PAGE_MAX_BYTES),
                },
                code="too_large",
            )
        return upload

    def clean_page_text(self):
        text = self.cleaned_data["page_text"]
        if len(text.encode("utf-8")) > SHERLOC_PAGE_MAX_BYTES:
            raise ValidationError(
                gettext("The pasted text is longer than a SHERLOC page can be (%(limit)s).")
                % {"limit": filesizeformat(SHERLOC_PAGE_MAX_BYTES)},
                code="too_large",
            )
        return text

    def clean(self):
        cleaned_data = super().clean()
        has_file = bool(cleaned_data.get("page_file"))
        has_text = bool(cleaned_data.get("page_text", "").strip())
        if has_file and has_text:
            raise ValidationError(
                gettext("Choose a file or paste the page's text, not both."), code="both"
            )
        if not has_file and not has_text and not self.has_error("page_file"):
            raise ValidationError(
                gettext("Choose a file or paste the page's text."), code="neither"
            )
        return cleaned_data

    def page(self) -> tuple[bytes | str, str]:
        """The page's content (bytes from a file: the parser reports a bad encoding by line)
        and the name its errors are reported under."""
        upload = self.cleaned_data["page_file"]
        if upload:
            return upload.read(), PurePath(upload.name).name
        return self.cleaned_data["page_text"], gettext("pasted text")


class SherlocConfirmForm(forms.Form):
    """Step 2: the previewed page's text, posted back to be parsed again and saved."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False)
    source = forms.CharField(widget=forms.HiddenInput, max_length=300)
    status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    def clean_content(self):
        content = self.cleaned_data["content"]
        if len(content.encode("utf-8")) > SHERLOC_PAGE_MAX_BYTES:
            raise ValidationError(
                gettext("The page is longer than a SHERLOC page can be (%(limit)s).")
                % {"limit": filesizeformat(SHERLOC_PAGE_MAX_BYTES)},
                code="too_large",
            )
        return content

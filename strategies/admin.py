"""The editor admin for strategies: the list, the edit form and the SHERLOC page import.

Every write of a strategy goes through `strategies.services.save_strategy()`, as the importers'
and the API's do: the form asks it for a verdict (a dry run, so that its errors show on the form
fields), `save_model()` then saves through it, and the attachments inline is saved after it in
the same transaction (the admin wraps the whole change view in one).

Deleting only marks a strategy deleted (the service's `delete_strategy()`); the list's "Deleted
strategies" filter shows those, with a "Restore" action. The history of every record, with the
changes of each version and a way back to it, is simple-history's.
"""

from functools import reduce
from operator import or_

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Lookup, Q
from django.db.models.lookups import IContains
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, smart_split, unescape_string_literal
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from taxonomy.admin import localized_fields
from taxonomy.models import Article, CrimeType, CrossCuttingIssue, Jurisdiction

from .canonical import from_canonical, to_canonical
from .forms import SherlocConfirmForm, SherlocPageForm, StrategyForm
from .importers.sherloc_import import import_sherloc_page, preview_sherloc_page
from .models import Attachment, Status, Strategy
from .richtext import sanitise_summary
from .services import (
    StrategyData,
    StrategyValidationError,
    Vocabulary,
    can_publish,
    delete_strategy,
    holds_already,
    next_strategy_id,
    no_free_id_message,
    restore_strategy,
    save_strategy,
)


class AttachmentInline(admin.TabularInline):
    # The file's validator (validate_attachment) refuses a wrong type, a content that does not
    # match its name, or a file too large, in words an editor can act on.
    model = Attachment
    fields = ["file", "title", "language"]
    extra = 1


class WaitingForReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"
    WAITING = "waiting"

    def lookups(self, request, model_admin):
        return [(self.WAITING, _("Waiting for review"))]

    def queryset(self, request, queryset):
        return queryset.waiting_for_review() if self.value() == self.WAITING else queryset


class DeletedFilter(admin.SimpleListFilter):
    """The list shows current strategies, or on request the deleted ones; never both, so that no
    action meant for one kind reaches the other."""

    title = _("deletion")
    parameter_name = "deleted"
    DELETED = "yes"

    def lookups(self, request, model_admin):
        return [(self.DELETED, _("Deleted strategies"))]

    def queryset(self, request, queryset):
        return queryset.filter(deleted_at__isnull=self.value() != self.DELETED)

    def choices(self, changelist):
        # Django's first choice is "All", which this list never shows.
        yield {
            "selected": self.value() != self.DELETED,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Current strategies"),
        }
        yield {
            "selected": self.value() == self.DELETED,
            "query_string": changelist.get_query_string({self.parameter_name: self.DELETED}),
            "display": _("Deleted strategies"),
        }


class ContainsAnyCase(IContains):
    """`icontains` that PostgreSQL answers from a trigram index (gin_trgm_ops): ILIKE, where
    Django compares UPPER() of both sides, which no such index answers. Elsewhere, icontains."""

    def as_postgresql(self, compiler, connection):
        # The column as it is (Lookup's), not UPPER()ed (the builtin lookup's).
        lhs, lhs_params = Lookup.process_lhs(self, compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


# What the list's search looks for in a strategy's jurisdiction: its code and its names.
JURISDICTION_SEARCH_FIELDS = ["code", *localized_fields("name"), *localized_fields("official_name")]


def showing_deleted(request) -> bool:
    return request.GET.get(DeletedFilter.parameter_name) == DeletedFilter.DELETED


@admin.register(Strategy)
class StrategyAdmin(SimpleHistoryAdmin):
    form = StrategyForm
    inlines = [AttachmentInline]
    list_display = ["strategy_id", "title", "jurisdiction", "adoption_date", "status", "updated_at"]
    list_display_links = ["strategy_id", "title"]
    list_filter = [
        WaitingForReviewFilter,
        DeletedFilter,
        "status",
        ("jurisdiction__region", admin.RelatedOnlyFieldListFilter),
        "crime_types",
        "articles__instrument",
    ]
    list_select_related = ["jurisdiction"]
    # What the search looks in, for the list's search box; get_search_results() searches them.
    search_fields = [
        "strategy_id",
        "title",
        *(f"jurisdiction__{name}" for name in JURISDICTION_SEARCH_FIELDS),
    ]
    ordering = ["strategy_id"]
    autocomplete_fields = ["jurisdiction"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["publish", "return_to_draft", "restore"]

    class Media:
        css = {"all": ["admin-strategies.css"]}
        js = ["admin-strategies.js"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "strategy_id",
                        "jurisdiction",
                        "title",
                        "adoption_date",
                        "language",
                        "status",
                        "source_url",
                    ]
                },
            ),
            (_("Summary"), {"fields": ["summary"]}),
            (_("Tags"), {"fields": ["crime_types", "articles", "cross_cutting_issues"]}),
        ]
        if obj is not None:
            record = ["created_at", "updated_at"]
            if obj.deleted_at is not None:
                record += ["deleted_at", "deleted_by"]
            fieldsets.append((_("Record"), {"fields": record}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The service finds a record by its ID, and the ID begins with the jurisdiction's
            # code: changing either would make a new record rather than change this one.
            readonly += ["strategy_id", "jurisdiction", "deleted_at", "deleted_by"]
        if not can_publish(request.user):
            # Editors write drafts; a reviewer publishes them (the service insists too).
            readonly.append("status")
        return readonly

    def get_search_results(self, request, queryset, search_term):
        """Django's search of `search_fields`, each word (or quoted phrase) narrowing the list
        to the strategies whose ID or title contains it, in any case, or whose jurisdiction's
        code or name in any language does; but asked so that PostgreSQL answers it from
        indexes. Django's own compares UPPER() of every field over the strategies joined with
        their jurisdictions, which no index answers: 1.5–2.0 s a search at 100,000 strategies.
        Here the jurisdictions are looked up first (a few hundred rows), and the IDs and titles
        through their trigram indexes (migration 0018)."""
        for word in smart_split(search_term):
            if word[0] in "\"'" and word[-1] == word[0]:
                word = unescape_string_literal(word)
            if not word:
                continue
            jurisdictions = Jurisdiction.objects.filter(
                reduce(
                    or_, (Q(**{f"{name}__icontains": word}) for name in JURISDICTION_SEARCH_FIELDS)
                )
            )
            queryset = queryset.filter(
                Q(ContainsAnyCase(F("strategy_id"), word))
                | Q(ContainsAnyCase(F("title"), word))
                | Q(jurisdiction__in=list(jurisdictions.values_list("code", flat=True)))
            )
        return queryset, False

    def get_queryset(self, request):
        # Deleted strategies too: the "Deleted strategies" list, their pages and their history.
        # DeletedFilter keeps them out of the ordinary list.
        queryset = Strategy.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        attributes = {"user": request.user}
        if version := getattr(obj, "_history", None):
            # A past version to revert to (simple-history's history_form_view): its tags as
            # they were, not the record's current ones.
            tags = {
                name: [getattr(row, field) for row in getattr(version, name).all()]
                for name, field in [
                    ("crime_types", "crimetype"),
                    ("articles", "article"),
                    ("cross_cutting_issues", "crosscuttingissue"),
                ]
            }

            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**tags, **(kwargs.get("initial") or {})}
                form.__init__(self, *args, **kwargs)

            attributes["__init__"] = __init__
        return type(form.__name__, (form,), attributes)

    def has_change_permission(self, request, obj=None):
        # A deleted strategy is shown as it was, read-only, until it is restored.
        if obj is not None and obj.deleted_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.deleted_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request) -> bool:
        return can_publish(request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if showing_deleted(request):
            return {name: action for name, action in actions.items() if name == "restore"}
        actions.pop("restore", None)
        return actions

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "strategy_id" and formfield is not None:
            # admin-strategies.js asks this URL for the next free ID when the jurisdiction
            # changes, and shows it as the placeholder.
            formfield.widget.attrs["data-next-id-url"] = reverse(
                f"{self.admin_site.name}:strategies_strategy_next_id"
            )
        return formfield

    def save_model(self, request, obj, form, change):
        # The form's dry run has already accepted this data in this transaction; a failure now
        # would be a concurrent edit, and the error rolls the whole change view back.
        result = save_strategy(form.strategy_data(), user=request.user)
        # The admin goes on using `obj` (the inline's foreign key, the log entry, the redirect),
        # so make it the saved record: the service may have assigned the ID.
        obj.pk = result.strategy.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the service has set the tags with the record.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # Deleting marks the strategy deleted; it stays restorable

    def delete_model(self, request, obj):
        delete_strategy(obj, request.user)

    def delete_queryset(self, request, queryset):
        for strategy in queryset:
            delete_strategy(strategy, request.user)

    def get_deleted_objects(self, objs, request):
        # Django's would list the attachments and tags as going too; they stay, for a restore.
        objs = list(objs)
        perms_needed = set() if self.has_delete_permission(request) else {self.opts.verbose_name}
        listed = [f"{capfirst(self.opts.verbose_name)}: {strategy}" for strategy in objs]
        return listed, {self.opts.verbose_name_plural: len(objs)}, perms_needed, []

    @admin.action(description=_("Restore selected"), permissions=["delete"])
    def restore(self, request, queryset):
        restored = 0
        for strategy in queryset.deleted():
            if restore_strategy(strategy, request.user):
                restored += 1
                self.log_change(request, strategy, gettext("Restored."))
        self.message_user(
            request,
            ngettext("%(count)d strategy restored.", "%(count)d strategies restored.", restored)
            % {"count": restored},
            messages.SUCCESS,
        )

    # Bulk status changes: for reviewers only, as publishing is

    @admin.action(description=_("Publish selected"), permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED)

    @admin.action(description=_("Return selected to draft"), permissions=["publish"])
    def return_to_draft(self, request, queryset):
        self._set_status(request, queryset, Status.DRAFT)

    def _set_status(self, request, queryset, status: str) -> None:
        # Through the service rather than a bare UPDATE, which would skip its rules and leave
        # `updated` as it was. The canonical form is a record exactly as the service takes it.
        vocabulary = Vocabulary()
        changed = 0
        for strategy in queryset.exclude(status=status).filter(deleted_at__isnull=True).with_tags():
            data: StrategyData = from_canonical(to_canonical(strategy))
            data.status = status
            data.attachments = None  # leave them as they are
            try:
                save_strategy(data, vocabulary=vocabulary, user=request.user)
            except StrategyValidationError as error:
                self.message_user(
                    request,
                    gettext("%(strategy_id)s was not changed: %(problems)s")
                    % {"strategy_id": strategy.strategy_id, "problems": error},
                    messages.ERROR,
                )
            else:
                changed += 1
                self.log_change(
                    request, strategy, gettext("Status set to “%s”.") % Status(status).label
                )
        self.message_user(
            request,
            ngettext(
                "%(count)d strategy set to “%(status)s”.",
                "%(count)d strategies set to “%(status)s”.",
                changed,
            )
            % {"count": changed, "status": Status(status).label},
            messages.SUCCESS,
        )

    # Extra views: the next free ID, and the SHERLOC page import

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "next-id/",
                self.admin_site.admin_view(self.next_id_view),
                name="{}_{}_next_id".format(*info),
            ),
            path(
                "import-sherloc/",
                self.admin_site.admin_view(self.import_sherloc_view),
                name="{}_{}_import_sherloc".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_import_sherloc": self.can_import_sherloc(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def can_import_sherloc(self, request) -> bool:
        # An import may create a record or update an existing one.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def next_id_view(self, request):
        """{"strategy_id": "GBR0008s"} for ?jurisdiction=GBR; 400 for an unknown code."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        code = request.GET.get("jurisdiction", "")
        if not Jurisdiction.objects.filter(code=code).exists():
            return JsonResponse(
                {"error": gettext("“%(code)s” is not a known jurisdiction code.") % {"code": code}},
                status=400,
            )
        strategy_id = next_strategy_id(code)
        if strategy_id is None:
            return JsonResponse({"error": no_free_id_message(code)}, status=409)
        return JsonResponse({"strategy_id": strategy_id})

    def import_sherloc_view(self, request):
        """Step 1 previews a page and saves nothing; step 2 parses the same text again (the
        preview is never trusted) and saves it through the importer."""
        if not self.can_import_sherloc(request):
            raise PermissionDenied
        page_form = self._sherloc_page_form(request)
        confirm_form = None
        preview = None
        errors: list[str] = []
        if request.method == "POST" and "_save" in request.POST:
            posted = SherlocConfirmForm(request.POST)
            if not posted.is_valid():
                errors = [gettext("The previewed page did not come back intact; preview it again.")]
            else:
                content, source, status = (
                    posted.cleaned_data[name] for name in ("content", "source", "status")
                )
                outcome = import_sherloc_page(
                    content,
                    source=source,
                    status=status,
                    user=request.user,
                    reason=_imported_message(source),
                )
                if outcome.ok:
                    return self._imported(request, outcome, source)
                errors = outcome.errors
                page_form = self._sherloc_page_form(
                    request, initial={"page_text": content, "status": status}
                )
        elif request.method == "POST":
            page_form = self._sherloc_page_form(request, request.POST, request.FILES)
            if page_form.is_valid():
                content, source = page_form.page()
                status = page_form.cleaned_data["status"]
                preview = preview_sherloc_page(content, source=source, status=status)
                if preview.errors:
                    errors, preview = preview.errors, None
                else:
                    if isinstance(content, bytes):
                        # The parser read it as UTF-8 already, so this cannot fail.
                        content = content.decode("utf-8").removeprefix("\ufeff")
                    confirm_form = SherlocConfirmForm(
                        initial={"content": content, "source": source, "status": status}
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a SHERLOC page"),
            "page_form": page_form,
            "confirm_form": confirm_form,
            "preview": preview,
            # Whether saving would write nothing: the record already holds the page exactly.
            "unchanged": bool(preview and preview.exists and holds_already(preview.data)),
            "record": _labelled(preview.data) if preview else None,
            "errors": errors,
            "media": self.media + page_form.media,
        }
        return TemplateResponse(request, "admin/strategies/strategy/import_sherloc.html", context)

    def _sherloc_page_form(self, request, *args, **kwargs) -> SherlocPageForm:
        form = SherlocPageForm(*args, **kwargs)
        if not can_publish(request.user):
            # An editor's import is a draft for a reviewer to publish.
            form.fields["status"].choices = [(Status.DRAFT, Status.DRAFT.label)]
            form.fields["status"].initial = Status.DRAFT
        return form

    def _imported(self, request, outcome, source: str):
        saved = outcome.created or outcome.updated or outcome.unchanged
        strategy = Strategy.objects.get(strategy_id=saved[0])
        change_message = _imported_message(source)
        if outcome.unchanged:
            message = gettext(
                "%(strategy)s already holds what the SHERLOC page says: nothing changed."
            )
        elif outcome.created:
            self.log_addition(request, strategy, change_message)
            message = gettext("%(strategy)s was created from the SHERLOC page.")
        else:
            self.log_change(request, strategy, change_message)
            message = gettext("%(strategy)s was updated from the SHERLOC page.")
        self.message_user(request, message % {"strategy": strategy}, messages.SUCCESS)
        return redirect(f"{self.admin_site.name}:strategies_strategy_change", strategy.pk)


def _imported_message(source: str) -> str:
    return gettext("Imported from the SHERLOC page “%(source)s”.") % {"source": source}


def _labelled(data: StrategyData) -> dict:
    """A parsed record's codes with their labels, for the preview (four queries)."""
    crime_types = {c.slug: c.name for c in CrimeType.objects.filter(slug__in=data.crime_types)}
    issue_names = {issue.path: issue.name for issue in CrossCuttingIssue.objects.all()}

    def issue_label(path: str) -> str:
        parts = path.split("/")
        return " › ".join(
            issue_names.get("/".join(parts[:depth]), parts[depth - 1])
            for depth in range(1, len(parts) + 1)
        )

    return {
        "data": data,
        "status": Status(data.status).label,
        "jurisdiction": Jurisdiction.objects.filter(code=data.jurisdiction).first(),
        "crime_types": [crime_types.get(slug, slug) for slug in data.crime_types],
        "articles": list(
            Article.objects.filter(code__in=data.articles).select_related("instrument").in_order()
        ),
        "issues": [(path, issue_label(path)) for path in data.cross_cutting_issues],
        # Shown as it will be stored: the model sanitises the summary on save.
        "summary": mark_safe(sanitise_summary(data.summary)),
    }

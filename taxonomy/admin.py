"""The vocabularies in the admin: labels editable in every language, codes fixed once set.

Plain TranslationAdmin with the language fields grouped under each label, rather than the tabbed
variant, whose jQuery UI is loaded from a CDN; with simple-history's "History" page, which shows
what each edit changed (every language's label) and can revert one.
"""

from django.contrib import admin
from modeltranslation import settings as modeltranslation_settings
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from simple_history.admin import SimpleHistoryAdmin

from .models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region


def localized_fields(field_name: str) -> list[str]:
    """`name` -> ["name_en", "name_zh_hans", ...]: search every language, not just the active
    one, so that an editor finds a record by whichever label they know."""
    return [
        build_localized_fieldname(field_name, language)
        for language in modeltranslation_settings.AVAILABLE_LANGUAGES
    ]


class VocabularyAdmin(SimpleHistoryAdmin, TranslationAdmin):
    group_fieldsets = True
    # Fields that address the record (in URLs, filters, exports, imports): set when adding,
    # shown read-only afterwards.
    code_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + self.code_fields if obj is not None else readonly

    def get_fieldsets(self, request, obj=None):
        # modeltranslation groups each label's languages but sorts them by name (Arabic
        # first); list them as settings.LANGUAGES does, English, the required one, first.
        order = {
            name: index
            for field_name in self.trans_opts.all_fields
            for index, name in enumerate(localized_fields(field_name))
        }
        return [
            (label, {**options, "fields": sorted(options["fields"], key=lambda f: order.get(f, 0))})
            for label, options in super().get_fieldsets(request, obj)
        ]


@admin.register(Region)
class RegionAdmin(VocabularyAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", *localized_fields("name")]
    code_fields = ("code",)


@admin.register(Jurisdiction)
class JurisdictionAdmin(VocabularyAdmin):
    list_display = ["code", "name", "kind", "region"]
    list_filter = ["kind", ("region", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["region"]
    # Also what the strategy form's autocomplete searches.
    search_fields = ["code", *localized_fields("name"), *localized_fields("official_name")]
    autocomplete_fields = ["members"]
    code_fields = ("code",)


@admin.register(CrimeType)
class CrimeTypeAdmin(VocabularyAdmin):
    list_display = ["slug", "name", "position"]
    search_fields = ["slug", *localized_fields("name")]
    code_fields = ("slug",)


@admin.register(Instrument)
class InstrumentAdmin(VocabularyAdmin):
    list_display = ["code", "name", "position"]
    search_fields = ["code", *localized_fields("name")]
    code_fields = ("code",)


@admin.register(Article)
class ArticleAdmin(VocabularyAdmin):
    list_display = ["code", "number", "title", "instrument"]
    list_display_links = ["code", "title"]
    list_filter = ["instrument"]
    list_select_related = ["instrument"]
    search_fields = ["code", *localized_fields("title")]
    # The same order as Article.objects.in_order(): 11 after 9, not after 1.
    ordering = ["instrument__position", "instrument__code", "number"]
    # The code is derived from the instrument and the number when the article is saved.
    readonly_fields = ["code"]
    code_fields = ("instrument", "number")


@admin.register(CrossCuttingIssue)
class CrossCuttingIssueAdmin(VocabularyAdmin):
    list_display = ["path", "name", "depth", "is_leaf", "provisional"]
    list_filter = ["provisional", "is_leaf", "depth"]
    search_fields = ["path", *localized_fields("name")]
    ordering = ["position"]
    readonly_fields = ["path", "slug", "parent", "depth", "is_leaf", "position"]

    # The tree's shape (paths, depths, leaves, order) comes from fixtures/cross_cutting_issues.json
    # through load_vocabularies, which keeps those fields consistent; here an editor only
    # translates labels and confirms provisional nodes.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

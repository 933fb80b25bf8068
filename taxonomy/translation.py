"""Vocabulary labels translated per language, with English as the fallback; and their history.

History is registered here rather than on the models: modeltranslation adds the per-language
fields (name_en, name_zh_hans, …) when this module is loaded, after the models were built, and the
history model must be made after them to hold every language's label.
"""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from .models import Article, CrimeType, CrossCuttingIssue, Instrument, Jurisdiction, Region


@register(Region)
class RegionTranslation(TranslationOptions):
    fields = ("name",)


@register(Jurisdiction)
class JurisdictionTranslation(TranslationOptions):
    fields = ("name", "official_name")


@register(CrimeType)
class CrimeTypeTranslation(TranslationOptions):
    fields = ("name",)


@register(Instrument)
class InstrumentTranslation(TranslationOptions):
    fields = ("name",)


@register(Article)
class ArticleTranslation(TranslationOptions):
    fields = ("title",)


@register(CrossCuttingIssue)
class CrossCuttingIssueTranslation(TranslationOptions):
    fields = ("name",)


for model, translation in [
    (Region, RegionTranslation),
    (Jurisdiction, JurisdictionTranslation),
    (CrimeType, CrimeTypeTranslation),
    (Instrument, InstrumentTranslation),
    (Article, ArticleTranslation),
    (CrossCuttingIssue, CrossCuttingIssueTranslation),
]:
    # Not the untranslated field itself: reading it gives the active language's label, so the
    # history would record whichever language the editor happened to use.
    simple_history.register(model, excluded_fields=list(translation.fields))

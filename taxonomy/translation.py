"""Vocabulary labels translated per language, with English as the fallback."""

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

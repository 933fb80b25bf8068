"""Citation text and BibTeX: pure functions, no database."""

import datetime

from django.utils import translation

from strategies.citation import Citation, bibtex_escape, citation_bibtex, citation_text

URL = "https://catalogue.example/strategies/GBR0007s/"


def gbr(**changes) -> Citation:
    values = {
        "author": "United Kingdom",
        "title": "Serious and Organized Crime Strategy",
        "strategy_id": "GBR0007s",
        "adopted": datetime.date(2018, 11, 1),
        "url": URL,
        "accessed": datetime.date(2026, 11, 28),
        "catalogue": "Strategies against organized crime catalogue",
    }
    return Citation(**{**values, **changes})


def test_text_names_author_title_id_adoption_catalogue_url_and_access_date():
    with translation.override("en"):
        text = citation_text(gbr())
    assert text == (
        "United Kingdom. Serious and Organized Crime Strategy (GBR0007s), adopted 1 November "
        f"2018. In: Strategies against organized crime catalogue. {URL} (accessed 2026-11-28)."
    )


def test_text_without_adoption_date_leaves_the_date_out():
    with translation.override("en"):
        text = citation_text(gbr(adopted=None))
    assert text == (
        "United Kingdom. Serious and Organized Crime Strategy (GBR0007s). "
        f"In: Strategies against organized crime catalogue. {URL} (accessed 2026-11-28)."
    )


def test_text_month_name_follows_the_interface_language():
    with translation.override("fr"):
        assert "1 novembre 2018" in citation_text(gbr())


def test_bibtex_entry_is_keyed_by_strategy_id_with_institutional_author():
    entry = citation_bibtex(gbr())
    assert entry.startswith("@misc{GBR0007s,\n")
    assert "  title = {Serious and Organized Crime Strategy},\n" in entry
    assert "  author = {{United Kingdom}},\n" in entry
    assert "  year = {2018},\n" in entry
    assert "  date = {2018-11-01},\n" in entry
    assert f"  url = {{{URL}}},\n" in entry
    assert "  urldate = {2026-11-28}\n" in entry
    assert entry.endswith("}\n")
    assert entry.count("{") == entry.count("}")


def test_bibtex_without_adoption_date_has_no_year():
    entry = citation_bibtex(gbr(adopted=None))
    assert "year" not in entry
    assert "date = {" not in entry.replace("urldate", "")


def test_bibtex_escapes_every_special_character_once():
    assert bibtex_escape(r"R&D 100% {core} #1 a_b $5 x^2 ~y \z") == (
        r"R\&D 100\% \{core\} \#1 a\_b \$5 x\textasciicircum{}2 \textasciitilde{}y "
        r"\textbackslash{}z"
    )


def test_bibtex_fields_with_special_characters_stay_balanced_and_literal():
    entry = citation_bibtex(gbr(title="Plan {2020} & 50% of #crime_s", author="Trinidad & Tobago"))
    assert r"title = {Plan \{2020\} \& 50\% of \#crime\_s}," in entry
    assert r"author = {{Trinidad \& Tobago}}," in entry
    # Braces: every literal one is escaped, so the entry's own braces still pair up.
    unescaped = entry.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")


def test_non_latin_text_is_kept_as_is():
    entry = citation_bibtex(gbr(author="英国", title="严重和有组织犯罪战略"))
    assert "author = {{英国}}" in entry
    assert "title = {严重和有组织犯罪战略}" in entry

"""The interface is translated into the five other UN languages, completely and compiled."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = {"zh-hans": "zh_Hans", "fr": "fr", "es": "es", "ru": "ru", "ar": "ar"}


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (list) and flags."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid_plural ", "msgid ", "msgctxt ")):
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
        elif line.startswith("msgstr"):
            key, _, value = line.partition(" ")
            index = int(key[7:-1]) if "[" in key else 0
            field = ("msgstr", index)
            entry["msgstr"][index] = ast.literal_eval(value)
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += ast.literal_eval(line)
            else:
                entry[field] += ast.literal_eval(line)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.mark.parametrize("language", LANGUAGES.values())
def test_every_message_is_translated_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = read_po(po)
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{language}: untranslated {untranslated[:5]}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy[:5]}"
    with (po.with_suffix(".mo")).open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        e["msgid"]
        for e in entries
        if "msgid_plural" not in e
        and "msgctxt" not in e
        and compiled.gettext(e["msgid"]) != e["msgstr"][0]
    ]
    assert not stale, f"{language}: the .mo is older than the .po for {stale[:5]}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_speak_the_visitors_language(client, language):
    with translation.override(language):
        expected = [translation.gettext("Strategies against organized crime")]
    assert expected[0] != "Strategies against organized crime"
    response = client.get(f"/{language}/strategies/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'lang="{language}"' in html
    for text in expected:
        assert text in html
    html_tag = re.search(r"<html[^>]*>", html).group()
    assert ('dir="rtl"' in html_tag) == (language == "ar")

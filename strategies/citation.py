"""How to cite a strategy record: a plain-text reference and a BibTeX entry.

Pure: plain values in, text out, no database or request, so the strategy page, the API or an
export can all offer the same citation.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


@dataclass(frozen=True)
class Citation:
    author: str  # the adopting jurisdiction's name, in the language of the page
    title: str
    strategy_id: str
    adopted: datetime.date | None
    url: str  # absolute URL of the strategy page
    accessed: datetime.date
    catalogue: str  # the name of this catalogue, as the "In:" of the reference


def citation_text(citation: Citation) -> str:
    """e.g. "United Kingdom. Serious and Organized Crime Strategy (GBR0007s), adopted 1 November
    2018. In: Strategies against organized crime catalogue. https://…/ (accessed 2026-11-28)."
    """
    values = {
        "author": citation.author,
        "title": citation.title,
        "strategy_id": citation.strategy_id,
        "catalogue": citation.catalogue,
        "url": citation.url,
        "accessed": citation.accessed.isoformat(),
    }
    if citation.adopted is None:
        return (
            _(
                "%(author)s. %(title)s (%(strategy_id)s). In: %(catalogue)s. "
                "%(url)s (accessed %(accessed)s)."
            )
            % values
        )
    # A translator may reorder day, month and year; the month name is localised either way.
    values["adopted"] = date_format(citation.adopted, pgettext("citation date", "j F Y"))
    return (
        _(
            "%(author)s. %(title)s (%(strategy_id)s), adopted %(adopted)s. In: %(catalogue)s. "
            "%(url)s (accessed %(accessed)s)."
        )
        % values
    )


# Characters BibTeX or LaTeX read as markup, and what stands for each of them literally.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(char) for char in _BIBTEX_ESCAPES))


def bibtex_escape(text: str) -> str:
    """Make text literal inside a braced BibTeX field (one pass, so nothing is escaped twice)."""
    return _BIBTEX_SPECIAL.sub(lambda match: _BIBTEX_ESCAPES[match.group()], text)


def citation_bibtex(citation: Citation) -> str:
    """A biblatex/BibTeX @misc entry keyed by the strategy ID.

    The author is doubly braced because it is an institution, not "Given Family"; the URL is left
    as it is because url fields are read verbatim.
    """
    fields = [
        ("title", bibtex_escape(citation.title)),
        ("author", "{" + bibtex_escape(citation.author) + "}"),
    ]
    if citation.adopted is not None:
        fields += [("year", str(citation.adopted.year)), ("date", citation.adopted.isoformat())]
    fields += [
        ("howpublished", bibtex_escape(citation.catalogue)),
        ("note", bibtex_escape(_("Strategy ID %(id)s") % {"id": citation.strategy_id})),
        ("url", citation.url),
        ("urldate", citation.accessed.isoformat()),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation.strategy_id},\n{body}\n}}\n"

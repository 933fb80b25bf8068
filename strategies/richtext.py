"""The allowlist that every strategy summary passes through before it is stored."""

import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "sub", "sup",
    "ol", "ul", "li", "blockquote", "h3", "h4", "h5", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start", "type"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_summary(html: str) -> str:
    """Keep structure (paragraphs, lists, emphasis, links); drop scripts, styles and handlers."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()

"""The API's JSON: DRF's renderer, with the encoding done by orjson.

A page of twenty strategies with its facets is about 200 KB of JSON; the standard library's
encoder took longer over it than the search did. orjson writes the same bytes (compact, UTF-8,
U+2028 and U+2029 escaped as DRF escapes them; tests/api/test_renderers.py compares the two),
and what it does not write itself (dates and times, lazy translations, decimals) goes through
DRF's own encoder, so those read as they always did. A client that asks for indented JSON
(`Accept: application/json; indent=4`) and anything orjson refuses get DRF's renderer. Two
differences, about floats, which the API does not send: one in exponent form may be spelt
differently (1e-07 or 1e-7, the same number), and one that is not finite is written as null
where DRF would refuse it.
"""

import orjson
from rest_framework import renderers

# Dates and times as DRF writes them (its encoder), not as orjson would; keys that are not
# strings written as json.dumps writes them.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except orjson.JSONEncodeError:
            # An integer beyond 64 bits, say, which the standard library writes (or an object
            # neither can write, which DRF's renderer refuses with its own message).
            return super().render(data, accepted_media_type, renderer_context)
        return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")

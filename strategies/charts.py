"""Small charts drawn on the server as inline SVG: data in, markup out.

The catalogue's pictures are a handful of bars, so they are drawn here rather than by a script:
they work without JavaScript, print, and can be parsed by a test. Each chart is an `<svg
role="img">` named by its `<title>` and described by a `<desc>` that lists every value, so a screen
reader gets the numbers as well as the picture. Every piece of text passes through `_text()`.

Sizes are in viewBox units, which the page scales to the width available (`width="100%"`); the
chart is never drawn larger than its natural size, nor shrunk below three quarters of it, so the
labels stay readable on a phone (a wide chart then scrolls sideways in its container).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT_SIZE = 14
SMALL_FONT_SIZE = 13
BAR_COLOUR = "#0b3d62"  # 11:1 against white, well above the 3:1 asked of graphics
TEXT_COLOUR = "#1b1b1b"
AXIS_COLOUR = "#595959"
# A chart may shrink to this share of its natural size before its container scrolls instead.
MIN_SCALE = 0.75
# Rough width of one character at FONT_SIZE, to size the label column of a bar chart.
CHARACTER_WIDTH = 7.6


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _text(value) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(
    *, width: float, height: float, id_prefix: str, title: str, description: str, body: list[str],
    direction: str,
) -> SafeString:  # fmt: skip
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    style = f"max-width:{_number(width)}px;min-width:{_number(width * MIN_SCALE)}px"
    return mark_safe(  # noqa: S308 — every text in body and here went through _text()
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'aria-labelledby="{_text(title_id)} {_text(desc_id)}" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" width="100%" style="{style}" '
        f'direction="{direction}" font-family="system-ui, sans-serif" font-size="{FONT_SIZE}" '
        f'fill="{TEXT_COLOUR}">'
        f'<title id="{_text(title_id)}">{_text(title)}</title>'
        f'<desc id="{_text(desc_id)}">{_text(description)}</desc>' + "".join(body) + "</svg>"
    )


def _described(description: str, bars: list[Bar]) -> str:
    """The caller's description followed by every value, for readers who cannot see the bars."""
    values = "; ".join(f"{bar.label}: {bar.value}" for bar in bars)
    return f"{description} {values}." if description else f"{values}."


def column_chart(
    bars: list[Bar], *, title: str, description: str, category_label: str, value_label: str,
    id_prefix: str,
) -> SafeString:  # fmt: skip
    """Vertical bars left to right (e.g. years), each with its count above it.

    Time runs left to right in every language, so this chart is not mirrored for right-to-left
    pages; it is drawn with direction="ltr" so that text anchors mean the same everywhere.
    """
    column, bar_width = 44, 30
    left, right, top, bottom = 30, 10, 24, 52
    plot_height = 150
    width = left + column * max(len(bars), 1) + right
    height = top + plot_height + bottom
    baseline = top + plot_height
    highest = max((bar.value for bar in bars), default=0) or 1
    body = [
        # The value axis label, turned to run up the left edge.
        f'<text class="axis-label" x="{_number(FONT_SIZE)}" y="{_number(top + plot_height / 2)}" '
        f'text-anchor="middle" font-size="{SMALL_FONT_SIZE}" '
        f'transform="rotate(-90 {_number(FONT_SIZE)} {_number(top + plot_height / 2)})">'
        f"{_text(value_label)}</text>",
    ]
    for index, bar in enumerate(bars):
        x = left + index * column + (column - bar_width) / 2
        bar_height = plot_height * bar.value / highest
        centre = x + bar_width / 2
        body.append(
            f'<rect class="bar" x="{_number(x)}" y="{_number(baseline - bar_height)}" '
            f'width="{bar_width}" height="{_number(bar_height)}" fill="{BAR_COLOUR}">'
            f"<title>{_text(bar.label)}: {_text(bar.value)}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{_number(centre)}" y="{_number(baseline - bar_height - 6)}" '
            f'text-anchor="middle">{_text(bar.value)}</text>'
        )
        body.append(
            f'<text class="category" x="{_number(centre)}" y="{_number(baseline + 18)}" '
            f'text-anchor="middle" font-size="{SMALL_FONT_SIZE}">{_text(bar.label)}</text>'
        )
    body.append(
        f'<line class="axis" x1="{left}" y1="{baseline}" x2="{_number(width - right)}" '
        f'y2="{baseline}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    body.append(
        f'<text class="axis-label" x="{_number(left + (width - left - right) / 2)}" '
        f'y="{_number(height - 8)}" text-anchor="middle" font-size="{SMALL_FONT_SIZE}">'
        f"{_text(category_label)}</text>"
    )
    return _svg(
        width=width, height=height, id_prefix=id_prefix, title=title,
        description=_described(description, bars), body=body, direction="ltr",
    )  # fmt: skip


def bar_chart(
    bars: list[Bar], *, title: str, description: str, category_label: str, value_label: str,
    id_prefix: str, rtl: bool = False,
) -> SafeString:  # fmt: skip
    """Horizontal bars, one per row, label before the bar and count after it.

    On a right-to-left page the chart is mirrored: labels on the right, bars growing leftwards.
    Text anchors are logical ("start" is the right edge under direction="rtl"), so only the x
    coordinates are mirrored.
    """
    row, bar_height = 30, 20
    top, bottom, gap = 28, 8, 10
    longest = max((len(bar.label) for bar in bars), default=0)
    label_width = max(len(category_label), longest) * CHARACTER_WIDTH + gap
    plot_width = 220
    count_room = 48
    width = label_width + gap + plot_width + count_room
    height = top + row * max(len(bars), 1) + bottom
    highest = max((bar.value for bar in bars), default=0) or 1

    def x(position: float, length: float = 0) -> float:
        """A position measured from the chart's start edge, in viewBox coordinates."""
        return width - position - length if rtl else position

    plot_start = label_width + gap
    body = [
        f'<text class="axis-label" x="{_number(x(label_width))}" y="{FONT_SIZE + 2}" '
        f'text-anchor="end" font-size="{SMALL_FONT_SIZE}" font-weight="bold">'
        f"{_text(category_label)}</text>",
        f'<text class="axis-label" x="{_number(x(plot_start))}" y="{FONT_SIZE + 2}" '
        f'text-anchor="start" font-size="{SMALL_FONT_SIZE}" font-weight="bold">'
        f"{_text(value_label)}</text>",
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        length = plot_width * bar.value / highest
        middle = y + bar_height / 2 + FONT_SIZE * 0.35
        body.append(
            f'<text class="category" x="{_number(x(label_width))}" y="{_number(middle)}" '
            f'text-anchor="end">{_text(bar.label)}</text>'
        )
        body.append(
            f'<rect class="bar" x="{_number(x(plot_start, length))}" y="{_number(y)}" '
            f'width="{_number(length)}" height="{bar_height}" fill="{BAR_COLOUR}">'
            f"<title>{_text(bar.label)}: {_text(bar.value)}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{_number(x(plot_start + length + 6))}" y="{_number(middle)}" '
            f'text-anchor="start">{_text(bar.value)}</text>'
        )
    body.append(
        f'<line class="axis" x1="{_number(x(plot_start))}" y1="{top - 4}" '
        f'x2="{_number(x(plot_start))}" y2="{_number(height - bottom)}" stroke="{AXIS_COLOUR}" '
        f'stroke-width="1"/>'
    )
    return _svg(
        width=width, height=height, id_prefix=id_prefix, title=title,
        description=_described(description, bars), body=body,
        direction="rtl" if rtl else "ltr",
    )  # fmt: skip

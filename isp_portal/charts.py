"""Charts drawn on the server by pygal as inline SVG (issue 14: the central register's counts, a breach's timeline;
issue 15's reports): no JavaScript, nothing the Content-Security-Policy refuses, accessible.

pygal styles its charts with an inline <style>, configures its tooltips with an inline <script> even when told to load
no scripts (`js=[]`), and hides its tooltip with a style attribute: the portal's policy (`style-src 'self'`, scripts by
nonce only) would refuse all three. So the SVG is rewritten here: those are removed and the colours given as
presentation attributes instead (which no policy restricts). The chart is an image with a title and a description
(`role="img"`, `aria-labelledby`, `aria-describedby`); its figures are in the table beside it. Text is escaped by the
XML serialiser, so an agency's name is never markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import pygal  # type: ignore[import-untyped]
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style  # type: ignore[import-untyped]

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
# GOV.UK colours with at least 3:1 contrast against white (WCAG 1.4.11): red for breaches, blue for disputes.
COLOURS = ("#d4351c", "#1d70b8")
TEXT = "#0b0c0c"
GUIDE = "#b1b4b6"
_STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground=TEXT, colors=COLOURS)


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


# The line charts' series (issue 15's trends): GOV.UK colours, each at least 3:1 against white (WCAG 1.4.11); the
# legend names each line, and the table beside the chart gives every figure, so colour is not the only way to tell.
LINE_COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#912b88", "#505a5f", "#0b0c0c")


def _clean(root: ET.Element, series_classes: Sequence[str], palette: Sequence[str] = COLOURS) -> None:
    """Remove what the CSP would refuse (scripts, styles, style attributes) and pygal's tooltip layer (its script is
    gone, so it would only cover the chart); colour by attributes, or, when `series_classes` names each series, give
    series i the class series_classes[i] instead of pygal's color-i, for the page's stylesheet to colour."""
    for parent in list(root.iter()):
        for child in list(parent):
            if (
                _tag(child) in {"script", "style"}
                or child.get("style") is not None
                or "tooltip-overlay" in _classes(child)
            ):
                parent.remove(child)
    for element in root.iter():
        classes = _classes(element)
        for index in range(max(len(palette), len(series_classes))):
            name = f"color-{index}"
            if name not in classes:
                continue
            if index < len(series_classes):
                element.set(
                    "class",
                    " ".join(series_classes[index] if c == name else c for c in element.get("class", "").split()),
                )
            elif index < len(palette):
                element.set("fill", palette[index])
                element.set("stroke", palette[index])
        if "background" in classes:
            element.set("fill", "#ffffff")
        if _tag(element) == "path" and "nofill" in classes:
            element.set("fill", "none")  # a series' line: its colour from its group, no area under it
            element.set("stroke-width", "3")
        elif _tag(element) == "path" and "line" in classes and not series_classes:
            element.set("fill", "none")
            element.set("stroke", TEXT if "axis" in classes else GUIDE)
        if _tag(element) == "text":
            element.set("fill", TEXT)


def accessible_svg(
    chart: Any,
    *,
    chart_id: str,
    title: str,
    description: str,
    css_class: str = "app-chart",
    series_classes: Sequence[str] = (),
    palette: Sequence[str] = COLOURS,
) -> SafeString:
    """`chart` (a pygal chart built with `js=[]`, `css=[]`, `disable_xml_declaration=True`) rendered as inline SVG for
    a page: cleaned for the CSP (_clean), an image (`role="img"`) named by `title` and described by `description`
    (`aria-labelledby`/`aria-describedby`, ids from `chart_id`), with class `css_class`. Its text is escaped by the XML
    serialiser. Put its figures in a table beside it (WCAG 1.1.1)."""
    # pygal's own output, built from our figures with ElementTree (its text escaped): no outside XML is parsed.
    root = ET.fromstring(chart.render(is_unicode=True))  # noqa: S314
    _clean(root, series_classes, palette)
    for stale in [child for child in root if _tag(child) in {"title", "desc"}]:
        root.remove(stale)
    described = ET.Element(f"{{{SVG}}}desc", {"id": f"{chart_id}-desc"})
    described.text = description
    titled = ET.Element(f"{{{SVG}}}title", {"id": f"{chart_id}-title"})
    titled.text = title
    root.insert(0, described)
    root.insert(0, titled)
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("focusable", "false")
    root.set("aria-labelledby", f"{chart_id}-title")
    root.set("aria-describedby", f"{chart_id}-desc")
    root.set("font-family", "arial, sans-serif")
    root.set("class", css_class)
    root.set("width", "100%")
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 - serialised by ElementTree: text escaped


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[tuple[str, list[int]]],
    horizontal: bool = False,
) -> SafeString:
    """A stacked bar chart of `series` over `labels` as inline SVG, `chart_id` naming its title and description."""
    kind = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    chart = kind(
        js=[], css=[], disable_xml_declaration=True, style=_STYLE, show_legend=True, legend_at_bottom=True,
        width=720, height=max(320, 40 + 28 * len(labels)) if horizontal else 360, x_label_rotation=0 if horizontal
        else 30, truncate_label=40, print_values=False, show_minor_y_labels=True, min_scale=1, max_scale=10,
    )  # fmt: skip
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return accessible_svg(chart, chart_id=chart_id, title=title, description=description)


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[tuple[str, list[int | None]]],
) -> SafeString:
    """A line chart of `series` over `labels` (months, say: trends are read from pictures, issue 15) as inline SVG;
    a value None (a count not shown) leaves a gap in its line rather than a made-up point. At most
    len(LINE_COLOURS) series: chart the largest, and give every figure in the table beside it."""
    chart = pygal.Line(
        js=[], css=[], disable_xml_declaration=True, style=_STYLE, show_legend=True, legend_at_bottom=True,
        width=720, height=360, x_label_rotation=30, truncate_label=40, truncate_legend=40, print_values=False,
        allow_interruptions=True, show_minor_y_labels=True, min_scale=1, max_scale=10, dots_size=4,
    )  # fmt: skip
    chart.x_labels = labels
    for name, values in series[: len(LINE_COLOURS)]:
        chart.add(name, values)
    return accessible_svg(chart, chart_id=chart_id, title=title, description=description, palette=LINE_COLOURS)

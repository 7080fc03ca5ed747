"""Template helpers for GOV.UK Design System markup."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from isp_portal import layout, links
from isp_portal.navigation import nav_html
from isp_portal.wording import counted, long_date, long_datetime, possessive

register = template.Library()

_WIDGET_CLASSES = {
    "text": "govuk-input",
    "email": "govuk-input",
    "password": "govuk-input",
    "number": "govuk-input",
    "url": "govuk-input",
    "tel": "govuk-input",
    "date": "govuk-input",
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "textarea": "govuk-textarea",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-select": "govuk-select--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


def described_by(field: BoundField) -> str:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def govuk_widget(field: BoundField) -> SafeString:
    """Render a simple (one-input) field's widget with GOV.UK classes, error state and aria-describedby."""
    base = _WIDGET_CLASSES.get(field.widget_type, "govuk-input")
    existing = field.field.widget.attrs.get("class", "")
    classes = [base, *existing.split()]
    if field.errors:
        classes.append(_ERROR_CLASSES.get(base, ""))
    attrs: dict[str, Any] = {"class": " ".join(c for c in dict.fromkeys(classes) if c)}
    description = described_by(field)
    if description:
        attrs["aria-describedby"] = description
    return field.as_widget(attrs=attrs)


@register.filter
def govuk_describedby(field: BoundField) -> str:
    return described_by(field)


@register.filter
def is_choice_group(field: BoundField) -> bool:
    return field.widget_type in {"radioselect", "checkboxselectmultiple"}


@register.filter
def is_single_checkbox(field: BoundField) -> bool:
    return field.widget_type == "checkbox"


@register.filter
def is_date(field: BoundField) -> bool:
    return field.widget_type == "govukdate"


@register.filter
def first_error_anchor(field: BoundField) -> str:
    """The id an error-summary link should jump to: the first input of a group, else the field."""
    if field.widget_type in {"radioselect", "checkboxselectmultiple"}:
        return f"{field.auto_id}_0"
    if field.widget_type == "govukdate":
        return f"{field.auto_id}_day"
    return field.auto_id or ""


_ROUTES = "isp_portal.links.Routes"


@register.simple_tag(takes_context=True)
def link(context: template.Context, name: str, *args: object) -> str:
    """{% link 'agency-detail' agency.pk %}: the address `{% url %}` gives, with the route reversed once per
    process rather than on every link (isp_portal/links.py; docs/fast-pages.md §4). For routes whose
    arguments are whole numbers; anything else goes through `reverse` as `{% url %}` does."""
    routes = context.render_context.get(_ROUTES)  # one per rendering of a template
    if routes is None:
        routes = context.render_context[_ROUTES] = links.Routes()
    address: str = routes(name, *args)
    return address


@register.simple_tag(takes_context=True)
def service_navigation(context: template.Context) -> SafeString:
    """The layout's navigation items for the signed-in user on this page (isp_portal/navigation.py)."""
    request = context.get("request")
    return nav_html(request.user, request.path) if request is not None else SafeString("")


@register.simple_tag(takes_context=True)
def layout_part(context: template.Context, part: str) -> SafeString:
    """{% layout_part "header" %}: templates/layout/<part>.html, rendered once per process and filled in with
    this request's nonce, navigation, CSRF input and name (isp_portal/layout.py)."""
    if part not in layout.PARTS:
        raise template.TemplateSyntaxError(f"no layout part {part!r}")
    return layout.render_part(part, context)


@register.simple_tag
def tag_colour(state: str) -> str:
    """GOV.UK tag colour modifier for a state word used across the portal."""
    colours = {
        "active": "govuk-tag--green",
        "complete": "govuk-tag--green",
        "sent": "govuk-tag--green",
        "ok": "govuk-tag--green",
        "suspended": "govuk-tag--red",
        "lapsed": "govuk-tag--red",
        "overdue": "govuk-tag--red",
        "failed": "govuk-tag--red",
        "left": "govuk-tag--grey",
        "withdrawn": "govuk-tag--grey",
        "pending": "govuk-tag--yellow",
        "due": "govuk-tag--yellow",
        "incomplete": "govuk-tag--yellow",
        "expiring": "govuk-tag--yellow",
        "due for renewal": "govuk-tag--yellow",
        "missing": "govuk-tag--grey",
        "valid": "govuk-tag--green",
        "granted": "govuk-tag--green",
        "refused": "govuk-tag--red",
        "expired": "govuk-tag--grey",
    }
    return colours.get(str(state).lower(), "govuk-tag--blue")


# --- Wording: the same names, dates and counts as the Python side (isp_portal/wording.py) ----------------------


@register.filter(name="possessive")
def possessive_filter(name: object) -> str:
    return possessive(name)


@register.filter
def govuk_date(value: Any) -> str:
    """{{ value|govuk_date }} -> "4 December 2026" (empty for no date)."""
    return long_date(value) if value else ""


@register.filter
def govuk_datetime(value: Any) -> str:
    """{{ value|govuk_datetime }} -> "4 December 2026, 14:05" in local time (empty for no value)."""
    return long_datetime(value) if value else ""


@register.filter
def counted_as(count: int, words: str) -> str:
    """{{ n|counted_as:"comment" }} -> "1 comment" / "0 comments"; {{ n|counted_as:"agency,agencies" }}."""
    singular, _, plural = words.partition(",")
    return counted(count, singular, plural or None)

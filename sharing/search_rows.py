"""The child search page's repeated markup built in Python (isp_portal/markup.py; docs/fast-pages.md §4, issue 10).

* The result rows: each is the markup sharing/search.html wrote for a result, filled with `markup.html`: every
  value escaped as `{{ }}` would. The template keeps the table, its caption, headers and the empty state.
* The search form: the markup the portal's form templates (templates/forms/govuk_field.html, the GOV.UK date
  widget and Django's input and textarea widgets) give its five fields, with the same classes, error messages,
  aria attributes and values. Rendering it through the templates was the largest part of the page's CPU (about
  a third of the worker's time at 1,000,000 children: three template files per field, a fourth per date box).
  tests/sharing/test_search_fast_path.py compares the two in every state the form can be in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.safestring import SafeString

from isp_portal.forms import GovukDateWidget
from isp_portal.links import Routes
from isp_portal.markup import html, rows
from isp_portal.templatetags.govuk import described_by
from isp_portal.wording import long_date
from sharing.selectors.children import SearchResult

_RESULT = (
    '    <tr class="govuk-table__row">\n'
    '      <td class="govuk-table__cell"><a class="govuk-link" href="{href}">{given} {family}</a>{shielded}</td>\n'
    '      <td class="govuk-table__cell">{born_on}</td>\n'
    '      <td class="govuk-table__cell">{postcode}</td>\n'
    '      <td class="govuk-table__cell">{agencies}</td>\n'
    "    </tr>\n"
)
_SHIELDED = SafeString(' <strong class="govuk-tag govuk-tag--grey">Shielded</strong>')
_NOT_SHIELDED = SafeString("")
# A shielded child's postcode is withheld (ContactPoint; sharing.selectors.children.search_result).
_WITHHELD = SafeString("Withheld")


def search_rows(results: Iterable[SearchResult]) -> SafeString:
    """The rows of the results table: the child's legal name linking to their record (a Shielded tag when
    shielded), date of birth, current postcode (Withheld for a shielded child, Not known for none) and the
    agencies involved now (None now for none)."""
    routes = Routes()

    def row(result: SearchResult) -> dict[str, Any]:
        return {
            "href": routes("child-detail", result.child_id),
            "given": result.given,
            "family": result.family,
            "shielded": _SHIELDED if result.is_shielded else _NOT_SHIELDED,
            "born_on": long_date(result.born_on) if result.born_on else "",
            "postcode": _WITHHELD if result.postcode is None else (result.postcode or "Not known"),
            "agencies": ", ".join(result.agencies) or "None now",
        }

    return rows(_RESULT, (row(result) for result in results))


# --- The search form -----------------------------------------------------------------------------------------

_GROUP = '<div class="govuk-form-group{error_class}">\n{body}</div>'
_LABEL = '  <label class="govuk-label govuk-label--s" for="{id}">{label}</label>\n'
_HINT = '  <div id="{id}-hint" class="govuk-hint">{hint}</div>\n'
_ERROR = (
    '  <p id="{id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {message}</p>\n'
)
_DATE = (
    '  <fieldset class="govuk-fieldset"{described} role="group">\n'
    '    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{label}</legend>\n'
    "{hint}{error}"
    '    <div class="govuk-date-input" id="{id}">\n{boxes}    </div>\n'
    "  </fieldset>\n"
)
_DATE_BOX = (
    '      <div class="govuk-date-input__item">\n'
    '        <div class="govuk-form-group">\n'
    '          <label class="govuk-label govuk-date-input__label" for="{id}">{label}</label>\n'
    "          {input}\n"
    "        </div>\n"
    "      </div>\n"
)
_ERROR_GROUP = SafeString(" govuk-form-group--error")
_NO_ERROR = SafeString("")
_SIMPLE = {forms.TextInput: "govuk-input", forms.Textarea: "govuk-textarea"}
_ERROR_CLASSES = {"govuk-input": "govuk-input--error", "govuk-textarea": "govuk-textarea--error"}


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """Django's widgets/attrs.html: ` name="value"` each, a True value as the bare name, a False one left out."""
    return SafeString(
        "".join(
            f" {name}" if value is True else html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False and value is not None
        )
    )


def _error(bound: forms.BoundField, indent: str = "") -> str:
    """The field's error message (its errors joined by spaces, as `{{ field.errors|join:" " }}`), if any."""
    if not bound.errors:
        return ""
    return html(indent + _ERROR, id=bound.auto_id, message=" ".join(str(error) for error in bound.errors))


def _control(bound: forms.BoundField, base: str) -> SafeString:
    """A text input or textarea as `{{ field|govuk_widget }}` renders it (isp_portal.templatetags.govuk)."""
    widget = bound.field.widget
    classes = [base, *widget.attrs.get("class", "").split()]
    if bound.errors:
        classes.append(_ERROR_CLASSES[base])
    attrs: dict[str, Any] = {key: value for key, value in widget.attrs.items() if key != "class"}
    attrs["class"] = " ".join(c for c in dict.fromkeys(classes) if c)
    description = described_by(bound)
    if description:
        attrs["aria-describedby"] = description
    if bound.field.required and bound.form.use_required_attribute:
        attrs["required"] = True
    if bound.errors:
        attrs["aria-invalid"] = "true"
    attrs["id"] = bound.auto_id
    value = bound.value()
    if isinstance(widget, forms.Textarea):
        return html('<textarea name="{}"{}>\n{}</textarea>', bound.html_name, _attributes(attrs), value or "")
    shown = None if value is None or value == "" else str(value)
    value_attr = html(' value="{}"', shown) if shown is not None else ""
    return html('<input type="text" name="{}"{}{}>', bound.html_name, value_attr, _attributes(attrs))


def _date(bound: forms.BoundField) -> SafeString:
    """The GOV.UK date input as templates/forms/govuk_field.html and forms/widgets/govuk_date.html render it."""
    widget = bound.field.widget
    assert isinstance(widget, GovukDateWidget)
    value = bound.value()
    parts = value if isinstance(value, list | tuple) else widget.decompress(value)
    boxes = []
    for part, label, box, typed in zip(
        ("day", "month", "year"), ("Day", "Month", "Year"), widget.widgets, parts, strict=True
    ):
        attrs: dict[str, Any] = dict(box.attrs)
        if bound.errors:
            attrs["aria-invalid"] = "true"
        attrs["id"] = f"{bound.auto_id}_{part}"
        shown = box.format_value(typed)
        value_attr = html(' value="{}"', shown) if shown is not None else ""
        control = html('<input type="text" name="{}_{}"{}{}>', bound.html_name, part, value_attr, _attributes(attrs))
        boxes.append(html(_DATE_BOX, id=attrs["id"], label=label, input=control))
    description = described_by(bound)
    return html(
        _DATE,
        described=html(' aria-describedby="{}"', description) if description else "",
        label=bound.label,
        hint=html("  " + _HINT, id=bound.auto_id, hint=bound.help_text) if bound.help_text else "",
        error=html("  " + _ERROR, id=bound.auto_id, message=" ".join(str(error) for error in bound.errors))
        if bound.errors
        else "",
        id=bound.auto_id,
        boxes=SafeString("".join(boxes)),
    )


def search_form_markup(form: forms.Form) -> SafeString:
    """The search form's fields as `{{ form }}` renders them (templates/forms/govuk_form.html): each field in its
    GOV.UK form group with its label, hint, error message and control. A form with anything else (a hidden
    field, an error not of one field, another kind of control) is rendered by the templates, as before."""
    if form.non_field_errors() or form.hidden_fields():
        return SafeString(str(form))
    groups = []
    for bound in form.visible_fields():
        widget = bound.field.widget
        base = _SIMPLE.get(type(widget))
        if isinstance(widget, GovukDateWidget):
            body = _date(bound)
        elif base is not None:
            body = SafeString(
                html(_LABEL, id=bound.auto_id, label=bound.label)
                + (html(_HINT, id=bound.auto_id, hint=bound.help_text) if bound.help_text else "")
                + (
                    html(_ERROR, id=bound.auto_id, message=" ".join(str(error) for error in bound.errors))
                    if bound.errors
                    else ""
                )
                + html("  {}\n", _control(bound, base))
            )
        else:
            return SafeString(str(form))
        groups.append(html(_GROUP, error_class=_ERROR_GROUP if bound.errors else _NO_ERROR, body=body))
    return SafeString("".join(groups))

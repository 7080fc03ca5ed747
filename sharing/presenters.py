"""The child record page's repeated rows as markup (isp_portal/markup.py; docs/fast-pages.md §4, issue 10).

Each row is the markup sharing/child_detail.html wrote, filled with `html`: every value escaped as `{{ }}`
would. The template keeps the headings, tables, their headers and the empty states.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.safestring import SafeString
from django.utils.text import Truncator

from isp_portal.links import Routes
from isp_portal.markup import html, rows
from isp_portal.wording import long_date, long_datetime, possessive
from sharing.models import Child, ChildAddress, ChildName, ClosureRule, Involvement, NameKind
from sharing.selectors import EntryView, HeldCategory

_ROW = (
    '  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt>'
    '<dd class="govuk-summary-list__value">{value}</dd></div>\n'
)
_CHANGE_ROW = (
    '  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt>'
    '<dd class="govuk-summary-list__value">{value}</dd>'
    '<dd class="govuk-summary-list__actions"><a class="govuk-link" href="{href}">Change'
    '<span class="govuk-visually-hidden"> {what}</span></a></dd></div>\n'
)
_NAME = "<li>{name} ({kind})</li>"
_KIND_LOWER = {kind.value: str(kind.label).lower() for kind in NameKind}
_ADDRESS = "<li>{address}{postcode}: from {start}{end}</li>"
_INVOLVEMENT = (
    '<tr class="govuk-table__row">'
    '<td class="govuk-table__cell">{agency}</td>'
    '<td class="govuk-table__cell">{service}</td>'
    '<td class="govuk-table__cell">{lead}</td>'
    '<td class="govuk-table__cell">From {start}{end}</td>'
    "</tr>\n"
)
_END = ' <a class="govuk-link" href="{href}">End<span class="govuk-visually-hidden"> {whose} involvement</span></a>'
_NOT_NAMED = SafeString("Not named")
_HELD = (
    '<tr class="govuk-table__row"><td class="govuk-table__cell">{label}</td>'
    '<td class="govuk-table__cell">{agency}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{count}</td></tr>\n'
)
_ENTRY = (
    '<div class="govuk-summary-card">\n'
    '  <div class="govuk-summary-card__title-wrapper">\n'
    '    <h3 class="govuk-summary-card__title">{label}{restricted}</h3>\n'
    '    <ul class="govuk-summary-card__actions"><li class="govuk-summary-card__action"><a class="govuk-link" '
    'href="{href}">Open<span class="govuk-visually-hidden"> {label_lower} entry {pk}</span></a></li></ul>\n'
    "  </div>\n"
    '  <div class="govuk-summary-card__content">\n'
    '    <p class="govuk-body-s">{agency}, {recorded}, {basis}{number}</p>\n'
    "    {text}\n"
    "  </div>\n"
    "</div>\n"
)
_RESTRICTED = SafeString(' <strong class="govuk-tag govuk-tag--red">Restricted</strong>')
# How much of an entry's text the record shows (the entry's own page shows it whole).
TEXT_WORDS = 40


def minimum_data(
    child: Child,
    *,
    legal_name: str,
    age: int,
    nhs_number: str,
    phone: str | None,
    setting: str | None,
    can_change: bool,
) -> SafeString:
    """The Minimum data summary list (Haringey 3.8): name, date of birth and age, gender, ethnicity, languages,
    NHS number, phone and setting (None: withheld from a shielded child's reader not involved,
    sharing.policy.shield_withholds), area, what extends the age scope; with a "Change" link per row, naming the
    field for screen readers, when `can_change` (sharing.views.change)."""
    if child.has_additional_needs:
        extends = "Additional needs, care leaver" if child.is_care_leaver else "Additional needs"
    else:
        extends = "Care leaver" if child.is_care_leaver else "No"
    summary = (
        ("Name", legal_name or "Not recorded", "name", "name"),
        ("Date of birth", f"{long_date(child.born_on)} (age {age})", "born-on", "date of birth"),
        ("Gender", child.get_gender_display(), "gender", "gender"),
        ("Ethnicity", child.get_ethnicity_display(), "ethnicity", "ethnicity"),
        ("Languages", ", ".join(child.languages) or "Not recorded", "languages", "languages"),
        ("NHS number", nhs_number or "Not recorded", "nhs-number", "NHS number"),
        ("Phone", "Withheld" if phone is None else phone or "Not recorded", "phone", "phone number"),
        ("Current setting", "Withheld" if setting is None else setting, "setting", "current setting"),
        ("Local authority area", child.area.name if child.area else "Not recorded", "area", "local authority area"),
        ("Extends the age scope", extends, "age-scope", "what extends the age scope"),
    )
    if not can_change:
        return html(
            '<dl class="govuk-summary-list">\n{}</dl>', rows(_ROW, ({"key": k, "value": v} for k, v, _, _ in summary))
        )
    routes = Routes()
    return html(
        '<dl class="govuk-summary-list">\n{}</dl>',
        rows(
            _CHANGE_ROW,
            (
                {"key": k, "value": v, "href": routes("child-change", child.pk, part), "what": what}
                for k, v, part, what in summary
            ),
        ),
    )


def name_items(names: Iterable[ChildName]) -> SafeString:
    """The child's other names, each with its kind ("Kim Lee (known as)")."""
    return rows(_NAME, ({"name": str(name), "kind": _KIND_LOWER.get(name.kind, name.kind)} for name in names))


def address_items(addresses: Iterable[ChildAddress]) -> SafeString:
    """The address history, newest first, each with its dates."""
    return rows(
        _ADDRESS,
        (
            {
                "address": address.address,
                "postcode": f", {address.postcode}" if address.postcode else "",
                "start": long_date(address.from_on),
                "end": f" to {long_date(address.to_on)}" if address.to_on else "",
            }
            for address in addresses
        ),
    )


def involvement_rows(child_pk: int, involvements: Iterable[Involvement], endable: set[int]) -> SafeString:
    """The Agencies involved table's rows: agency, service, lead professional or key contact, period (with an
    End link on the reader's agency's open involvements, `endable`)."""
    routes = Routes()
    lines = []
    for involvement in involvements:
        agency = involvement.agency.name
        lead = _NOT_NAMED
        if involvement.lead_professional is not None:
            role = "key contact" if involvement.is_key_contact else "lead professional"
            lead = html("{} ({})", involvement.lead_professional.user.full_name, role)
        if involvement.ended_on:
            end: str = f" to {long_date(involvement.ended_on)}"
        elif involvement.pk in endable:
            end = html(_END, href=routes("involvement-end", child_pk, involvement.pk), whose=possessive(agency))
        else:
            end = ""
        lines.append(
            {
                "agency": agency,
                "service": involvement.service,
                "lead": lead,
                "start": long_date(involvement.started_on),
                "end": end,
            }
        )
    return rows(_INVOLVEMENT, lines)


def held_rows(held: Iterable[HeldCategory]) -> SafeString:
    """The Information held table's rows: kind of information, agency, number of entries."""
    return rows(_HELD, ({"label": item.label, "agency": item.agency_name, "count": item.count} for item in held))


def entry_cards(child_pk: int, views: Iterable[EntryView]) -> SafeString:
    """A summary card per entry the reader may read: category (restricted marked), agency, when and on what
    basis the latest revision was recorded, and the start of its text."""
    routes = Routes()
    cards = []
    for view in views:
        entry, revision = view.entry, view.revision
        if revision is None:
            continue
        label = entry.category_label
        text = html('<p class="govuk-body">{}</p>', Truncator(revision.text).words(TEXT_WORDS, truncate=" …"))
        cards.append(
            {
                "label": label,
                "label_lower": label.lower(),
                "restricted": _RESTRICTED if entry.is_restricted else "",
                "href": routes("entry-detail", child_pk, entry.pk),
                "pk": entry.pk,
                "agency": entry.agency.name,
                "recorded": long_datetime(revision.recorded_at),
                "basis": revision.get_basis_display().lower(),
                "number": f", revision {revision.number}" if entry.revision_count > 1 else "",
                "text": text if revision.text else "",
            }
        )
    return rows(_ENTRY, cards)


def child_caption(child: Child, legal: ChildName | None) -> str:
    """The child a form is about, as its caption: "Aoife Byrne, born 2 April 2015", so nobody records against
    the wrong child (issue 10, cosmetic finding). `legal` is what sharing.selectors.child_named read, which
    records the view with its purpose (DPA 2018 s62): never shown to someone who has not stated one. The shield
    withholds the address, setting and phone, never shown here."""
    return f"{legal if legal else f'Child {child.pk}'}, born {long_date(child.born_on)}"


def closure_sentence(child: Child, reason: str | None = None) -> str:
    """What a closed record's page says (Southampton 8, 11): when it was closed, under which rule, and when its
    content is (or was) erased. Empty for an open record. `reason` is the closing reason as the reader may see
    it (sharing.selectors.ChildRecord.close_reason: None where the shield withholds the address, as it says
    where the child went), never read from `child`; a page that has not read the record as its reader may see
    it (the consent pages) gives none, and says the record is closed, when and under which rule."""
    if child.closed_on is None:
        return ""
    why = ClosureRule(child.closed_under).label if child.closed_under else ""
    if child.closed_under == ClosureRule.ADMIN and reason and child.erased_at is None:
        why = f"{why}: {reason}"
    if child.erased_at is not None:
        return (
            f"This record was closed on {long_date(child.closed_on)} ({why.rstrip('.')}), and its content was erased "
            f"on {long_date(child.erased_at.date())} at the end of the protocol's retention period."
        )
    due = f" Its content will be erased on {long_date(child.erase_due_on)}." if child.erase_due_on else ""
    closed = f"This record was closed on {long_date(child.closed_on)} ({why.rstrip('.')})."
    return f"{closed} It is kept for reference only.{due}"

"""The protocol pages' repeated rows as markup (isp_portal/markup.py; docs/fast-pages.md §4, issue 9).

Each row is the markup the template wrote, filled with `format_html`: every value escaped as `{{ }}` would.
The templates keep the tables and lists around them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import tzinfo
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from isp_portal.links import Routes
from isp_portal.markup import html, rows
from isp_portal.wording import counted, long_date
from protocols.models import ProtocolVersion, Signature
from protocols.selectors import CountPoint

_LIVE = SafeString('<strong class="govuk-tag govuk-tag--green">Live</strong>')
_SIGNED = SafeString('<strong class="govuk-tag govuk-tag--green">Signed</strong>')
_SMALL = '<br><span class="govuk-!-font-size-16">{}</span>'

# The signature register on the protocol's page (protocols/protocol_detail.html).
_REGISTER_ROW = (
    '<tr class="govuk-table__row">'
    '<td class="govuk-table__cell">{agency}</td>'
    '<td class="govuk-table__cell">{version}</td>'
    '<td class="govuk-table__cell">{signatory}</td>'
    '<td class="govuk-table__cell">{signed}{carried}</td>'
    '<td class="govuk-table__cell">{state}</td>'
    "</tr>\n"
)
_WITHDRAWN = '<strong class="govuk-tag govuk-tag--{colour}">Withdrawn {on}</strong>' + _SMALL.replace("{}", "{reason}")
_WITHDRAW_LINK = (
    ' <a class="govuk-link" href="{href}">Withdraw<span class="govuk-visually-hidden"> the signature of {agency}'
    "</span></a>"
)


def _withdrawn(signature: Signature, colour: str, zone: tzinfo) -> SafeString:
    assert signature.withdrawn_at is not None
    on = long_date(signature.withdrawn_at, zone)
    return html(_WITHDRAWN, colour=colour, on=on, reason=signature.withdrawal_reason)


def register_rows(signatures: Iterable[Signature], can_withdraw: Collection[int]) -> SafeString:
    """The rows of the protocol's register: agency, version, signatory, when signed (and from which version it
    was carried over), and its state with the withdraw link where the user may withdraw it."""
    routes = Routes()
    zone = timezone.get_current_timezone()  # read once for the table (isp_portal.wording.long_date)

    def row(signature: Signature) -> dict[str, Any]:
        agency = signature.agency.name
        if signature.withdrawn_at:
            state = _withdrawn(signature, "grey", zone)
        elif signature.pk in can_withdraw:
            state = _LIVE + html(_WITHDRAW_LINK, href=routes("signature-withdraw", signature.pk), agency=agency)
        else:
            state = _LIVE
        earlier = signature.carried_over_from if signature.carried_over_from_id else None
        carried = (
            html('<br><span class="govuk-!-font-size-16">carried over from version {}</span>', earlier.version.number)
            if earlier is not None
            else ""
        )
        return {
            "agency": agency,
            "version": signature.version.number,
            "signatory": f"{signature.signatory_name}, {signature.signatory_title}",
            "signed": long_date(signature.signed_at, zone),
            "carried": carried,
            "state": state,
        }

    return rows(_REGISTER_ROW, (row(signature) for signature in signatures))


# The protocols an agency has signed, on the agency's page (protocols/section_agency_signatures.html).
_SIGNED_ROW = (
    '<tr class="govuk-table__row">'
    '<td class="govuk-table__cell"><a class="govuk-link" href="{href}">{title}</a></td>'
    '<td class="govuk-table__cell">{version}</td>'
    '<td class="govuk-table__cell">{signatory}' + _SMALL.replace("{}", "{signed}") + "</td>"
    '<td class="govuk-table__cell">{state}</td>'
    "</tr>\n"
)


def agency_signature_rows(signatures: Iterable[Signature]) -> SafeString:
    """The rows of the agency's "Protocols signed" table."""
    routes = Routes()
    zone = timezone.get_current_timezone()  # read once for the table (isp_portal.wording.long_date)
    return rows(
        _SIGNED_ROW,
        (
            {
                "href": routes("protocol-detail", signature.protocol_id),
                "title": signature.protocol.title,
                "version": signature.version.number,
                "signatory": f"{signature.signatory_name}, {signature.signatory_title}",
                "signed": long_date(signature.signed_at, zone),
                "state": _withdrawn(signature, "red", zone) if signature.withdrawn_at else _SIGNED,
            }
            for signature in signatures
        ),
    )


# The versions list on the protocol's page.
_VERSION_ITEM = '<li><a class="govuk-link" href="{href}">Version {number}</a>, {created}: {note}{tag}{diff}</li>\n'
_IN_FORCE = SafeString(' <strong class="govuk-tag govuk-tag--green">In force</strong>')
_WAS_IN_FORCE = SafeString(' <strong class="govuk-tag govuk-tag--grey">Was in force</strong>')
_DIFF_LINK = (
    ' · <a class="govuk-link" href="{href}">What changed<span class="govuk-visually-hidden"> in version {number}'
    "</span></a>"
)


def version_items(protocol_id: int, versions: Iterable[ProtocolVersion], current_id: int | None) -> SafeString:
    """The items of the protocol's Versions list: each version's link, date and note, whether it is or was in
    force, and a link to what changed from the one before."""
    routes = Routes()
    zone = timezone.get_current_timezone()  # read once for the list (isp_portal.wording.long_date)

    def item(version: ProtocolVersion) -> dict[str, Any]:
        if version.pk == current_id:
            tag = _IN_FORCE
        elif getattr(version, "adoption", None):  # read with the version: None when never in force
            tag = _WAS_IN_FORCE
        else:
            tag = SafeString("")
        number = version.number
        return {
            "href": routes("protocol-version", protocol_id, number),
            "number": number,
            "created": long_date(version.created_at, zone),
            "note": version.change_note,
            "tag": tag,
            "diff": html(_DIFF_LINK, href=routes("protocol-version-diff", protocol_id, number), number=number)
            if number > 1
            else "",
        }

    return rows(_VERSION_ITEM, (item(version) for version in versions))


# The monthly counts on the protocol's page.
_COUNT_ROW = (
    '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{month}</th>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{signatories}</td></tr>'
)


def count_rows(points: Iterable[CountPoint]) -> SafeString:
    """The rows of "Signatories at the end of each month"."""
    return rows(_COUNT_ROW, ({"month": point.label, "signatories": point.signatories} for point in points))


# A version's rules, on the protocol's page and the version's (`{% version_rules version %}`).
_RULE_ROW = (
    '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt>'
    '<dd class="govuk-summary-list__value">{value}</dd></div>\n'
)
_BULLETS = '<ul class="govuk-list govuk-list--bullet">{}</ul>'


def _bullets(items: Iterable[str], empty: str | None = None) -> SafeString:
    listed = [html("<li>{}</li>", item) for item in items]
    if not listed and empty is not None:
        listed = [html("<li>{}</li>", empty)]
    return html(_BULLETS, SafeString("".join(listed)))


def _rules_key(version: ProtocolVersion) -> tuple[Any, ...]:
    # Every field _version_rules reads: add one here when it reads another (tests/protocols/test_version_rules.py
    # changes each and expects other markup).
    return (
        version.age_min,
        version.age_max,
        version.extended_age_max,
        tuple(version.extended_age_conditions),
        tuple(version.permitted_purposes),
        tuple(version.aggregate_fields),
        tuple(version.minimum_fields),
        tuple(version.sensitive_fields),
        tuple(version.grounds_without_consent),
        version.response_working_days,
        version.retention_months,
        version.shows_held_categories,
    )


# The markup for each set of rules shown since the process started (a few dozen versions in a partnership).
_rules_markup: dict[tuple[Any, ...], SafeString] = {}


def version_rules(version: ProtocolVersion) -> SafeString:
    """The summary list of who a version covers, for what, which data in which tier, when without consent,
    how fast requests are answered and how long records are kept. Built once per process for each set of rules
    (26 values escaped: a twentieth of the protocol page's CPU; issue 9)."""
    key = _rules_key(version)
    found = _rules_markup.get(key)
    if found is None:
        if len(_rules_markup) >= 512:
            _rules_markup.clear()
        found = _rules_markup[key] = _version_rules(version)
    return found


def _version_rules(version: ProtocolVersion) -> SafeString:
    covers = f"Children and young people aged {version.age_min} to {version.age_max}"
    if version.extended_age_max:
        conditions = " or ".join(label.lower() for label in version.extended_condition_labels) or "some"
        covers += f", and to {version.extended_age_max} for {conditions}"
    summary = (
        ("Who it covers", covers),
        ("Purposes", _bullets(version.permitted_purposes)),
        ("Aggregate tier", ", ".join(version.aggregate_fields) or "—"),
        ("Minimum data", ", ".join(version.minimum_fields) or "—"),
        ("Detailed and sensitive", ", ".join(version.sensitive_fields) or "—"),
        ("Without consent only when", _bullets(version.ground_labels, empty="Never")),
        ("Requests answered within", counted(version.response_working_days, "working day")),
        ("Kept by default for", counted(version.retention_months, "month")),
        (
            "Other agencies see what is held",
            "Yes: which kinds of information each agency holds, not the content"
            if version.shows_held_categories
            else "No: only the agencies involved",
        ),
    )
    return html(
        '<dl class="govuk-summary-list">\n{}</dl>', rows(_RULE_ROW, ({"key": k, "value": v} for k, v in summary))
    )

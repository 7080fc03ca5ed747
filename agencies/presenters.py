"""The agency page's repeated rows as markup (isp_portal/markup.py; docs/fast-pages.md §4, issue 9).

Each row is the markup the template wrote, filled with `format_html`: every value escaped as `{{ }}` would.
The template (agencies/agency_detail.html) keeps the table around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString

from agencies.models import Membership, Role
from isp_portal.links import Routes
from isp_portal.markup import html, rows

_PERSON = (
    '<tr class="govuk-table__row">'
    '<td class="govuk-table__cell">{name}<br><span class="govuk-!-font-size-16">{job}</span></td>'
    '<td class="govuk-table__cell">{roles}</td>'
    '<td class="govuk-table__cell">{training}</td>'
    "{actions}"
    "</tr>\n"
)
# A tag per role, escaped once per process (the labels are the portal's own words).
_ROLE_TAGS = {
    role.value: html('<strong class="govuk-tag govuk-tag--blue govuk-!-margin-bottom-1">{}</strong> ', role.label)
    for role in Role
}
_CALDICOTT = SafeString('<strong class="govuk-tag govuk-tag--purple">Caldicott guardian</strong>')
_DPO = SafeString('<strong class="govuk-tag govuk-tag--purple">DPO</strong>')
_NOMINATED = SafeString(' <strong class="govuk-tag govuk-tag--purple">Nominated representative</strong>')
_TRAINED = SafeString('<strong class="govuk-tag govuk-tag--green">Valid</strong>')
_UNTRAINED = SafeString('<strong class="govuk-tag govuk-tag--red">None valid</strong>')
_CHANGE = '<a class="govuk-link" href="{href}">Change<span class="govuk-visually-hidden"> {name}</span></a><br>'
_END = '<a class="govuk-link" href="{href}">End membership<span class="govuk-visually-hidden"> of {name}</span></a>'
# The agency always keeps an active human admin (DESIGN 4): ending the only one's membership is not offered,
# since the service would refuse it (issue 8 item 11).
_SOLE_ADMIN = SafeString(
    '<span class="govuk-hint govuk-!-margin-bottom-0">Only admin: give someone else the admin role before ending '
    "this membership</span>"
)


def people_rows(people: Iterable[Membership], *, can_administer: bool, sole_admin_id: int | None) -> SafeString:
    """The rows of the agency's People table: name and job, roles, training, and the actions the user may take."""
    routes = Routes()

    def row(membership: Membership) -> dict[str, Any]:
        name = membership.user.full_name
        roles = SafeString("".join(_ROLE_TAGS[role] for role in sorted(membership.roles)))
        if membership.is_caldicott_guardian:
            roles += _CALDICOTT
        if membership.is_data_protection_officer:
            roles += _DPO
        if membership.is_nominated_representative:
            roles += _NOMINATED
        actions = SafeString("")
        if can_administer:
            # The change page opens for the agency's admins whatever its standing: in an agency that may not take
            # people on, it offers only the removal of roles and flags (agencies.policy.MembershipPolicy; issue 8).
            change = html(_CHANGE, href=routes("membership-edit", membership.pk), name=name)
            end = (
                _SOLE_ADMIN
                if membership.pk == sole_admin_id
                else html(_END, href=routes("membership-deactivate", membership.pk), name=name)
            )
            actions = html('<td class="govuk-table__cell">{}{}</td>', change, end)
        return {
            "name": name,
            "job": f"{membership.job_title}, {membership.team}" if membership.team else membership.job_title,
            "roles": roles,
            "training": _TRAINED if getattr(membership, "trained", False) else _UNTRAINED,
            "actions": actions,
        }

    return rows(_PERSON, (row(membership) for membership in people))

"""Every list page a role may open is in that role's navigation (issue 8 item 14: meetings and signatory
requirements were reachable only by typing their address)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from isp_portal.navigation import nav_for
from tests.factories import World

pytestmark = pytest.mark.django_db

ROLES = ["practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor", "no_role"]


def _list_pages() -> list[str]:
    """The portal's own list pages: HTML routes without parameters whose name ends in -list."""
    names: list[str] = []

    def walk(patterns: list[Any]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif (
                isinstance(entry, URLPattern)
                and entry.name
                and entry.name.endswith("-list")
                and not entry.name.startswith("api-")
                and not entry.pattern.regex.groups
            ):
                names.append(entry.name)

    walk(get_resolver().url_patterns)
    return names


def test_the_list_pages_include_meetings_and_requirements() -> None:
    assert {"meeting-list", "requirement-list", "protocol-list", "agency-list"} <= set(_list_pages())


@pytest.mark.parametrize("role", ROLES)
def test_every_list_page_a_role_may_open_is_in_its_navigation(role: str, world: World, client_for: Any) -> None:
    client = client_for(role)
    user = world.users[role]
    in_nav = {item["url"] for item in nav_for(user, "/")}
    for name in _list_pages():
        url = reverse(name)
        opens = client.get(url).status_code == 200
        assert opens == (url in in_nav), f"{role}: {url} opens={opens} but in navigation={url in in_nav}"

"""`{% link %}` gives the address `reverse` gives, for every route of the portal (isp_portal/links.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from isp_portal.links import link


def _named_routes() -> list[tuple[str, int]]:
    """Each named route with the number of arguments it takes."""
    routes: list[tuple[str, int]] = []

    def walk(patterns: list[Any], depth: int) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, depth + entry.pattern.regex.groups)
            elif isinstance(entry, URLPattern) and entry.name:
                routes.append((entry.name, depth + entry.pattern.regex.groups))

    walk(get_resolver().url_patterns, 0)
    return sorted(set(routes))


@pytest.mark.parametrize(("name", "count"), _named_routes())
@pytest.mark.parametrize("base", [0, 7, 1234567])
def test_link_is_what_reverse_gives(name: str, count: int, base: int) -> None:
    args = [base + index for index in range(count)]
    try:
        expected = reverse(name, args=args)
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            link(name, *args)
        return
    assert link(name, *args) == expected
    assert link(name, *args) == expected  # the second time from the route kept


def test_arguments_that_are_not_whole_numbers_go_through_reverse() -> None:
    assert link("agency-detail", "12") == reverse("agency-detail", args=["12"])
    with pytest.raises(NoReverseMatch):
        link("agency-detail", -1)
    with pytest.raises(NoReverseMatch):
        link("agency-detail", "x")
    with pytest.raises(NoReverseMatch):
        link("no-such-route")


def test_the_tag_gives_the_url_tags_address() -> None:
    rendered = Template("{% load govuk %}{% link 'agency-detail' pk %}|{% url 'agency-detail' pk %}").render(
        Context({"pk": 41})
    )
    first, second = rendered.split("|")
    assert first == second == "/agencies/41/"

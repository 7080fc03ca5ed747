"""The service navigation and the dashboard are assembled from what each app registers (in its
AppConfig.ready), so that isp_portal never imports a domain app and each app owns its own entries."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from isp_portal.links import Routes

UserPredicate = Callable[[Any], bool]


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible: UserPredicate
    order: int = 100


@dataclass(frozen=True)
class DashboardPanel:
    """A section of the dashboard: shown when `visible(user)`, rendered from `template` with the context
    `context(user)` returns. A panel's context must cost a fixed number of queries (tests check it)."""

    name: str
    template: str
    visible: UserPredicate
    context: Callable[[Any], Mapping[str, Any]] = field(default=lambda user: {})
    order: int = 100


@dataclass(frozen=True)
class PageSection:
    """A section another app adds to a page of this app (e.g. the protocols an agency has signed, on the
    agency's page), so the page's app need not import the other. `context(user, obj)` returns the
    template's context, or None to leave the section out; it must cost a fixed number of queries."""

    name: str
    page: str
    template: str
    context: Callable[[Any, Any], Mapping[str, Any] | None]
    order: int = 100


_nav: list[NavItem] = []
_panels: list[DashboardPanel] = []
_sections: list[PageSection] = []


def register_section(section: PageSection) -> None:
    if any(existing.name == section.name for existing in _sections):
        return
    _sections.append(section)
    _sections.sort(key=lambda entry: entry.order)


def sections_for(page: str, user: Any, obj: Any) -> list[dict[str, Any]]:
    """The registered sections of `page` for `obj`, each as {"template", "context"}."""
    rendered = []
    for section in _sections:
        if section.page != page:
            continue
        context = section.context(user, obj)
        if context is not None:
            rendered.append({"template": section.template, "context": context})
    return rendered


def register_nav(item: NavItem) -> None:
    if any(existing.url_name == item.url_name for existing in _nav):
        return
    _nav.append(item)
    _nav.sort(key=lambda entry: entry.order)


def register_panel(panel: DashboardPanel) -> None:
    if any(existing.name == panel.name for existing in _panels):
        return
    _panels.append(panel)
    _panels.sort(key=lambda entry: entry.order)


def nav_for(user: Any, path: str) -> list[dict[str, Any]]:
    items = []
    routes = Routes()
    for item in _nav:
        if not item.visible(user):
            continue
        url = routes(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items


@functools.lru_cache(maxsize=256)
def _nav_markup(items: tuple[tuple[str, str, bool], ...]) -> SafeString:
    # The markup depends only on the items shown and which is active: a few dozen combinations in all, so
    # each is rendered once per process rather than on every page (issue 9: the loop was about a tenth of
    # the layout's rendering).
    rows = [{"label": label, "url": url, "active": active} for label, url, active in items]
    markup: SafeString = render_to_string("includes/navigation.html", {"nav_items": rows})  # escaped by the engine
    return markup


def nav_html(user: Any, path: str) -> SafeString:
    """The service navigation's items (`<li>`s) for `user` on the page at `path`, as markup."""
    if not (user and user.is_authenticated):
        return SafeString("")
    return _nav_markup(tuple((item["label"], item["url"], item["active"]) for item in nav_for(user, path)))


def panels_for(user: Any) -> list[dict[str, Any]]:
    return [
        {"name": panel.name, "template": panel.template, "context": dict(panel.context(user))}
        for panel in _panels
        if panel.visible(user)
    ]

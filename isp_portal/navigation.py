"""The service navigation and the dashboard are assembled from what each app registers (in its
AppConfig.ready), so that isp_portal never imports a domain app and each app owns its own entries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

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


_nav: list[NavItem] = []
_panels: list[DashboardPanel] = []


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
    for item in _nav:
        if not item.visible(user):
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items


def panels_for(user: Any) -> list[dict[str, Any]]:
    return [
        {"name": panel.name, "template": panel.template, "context": dict(panel.context(user))}
        for panel in _panels
        if panel.visible(user)
    ]

"""The lineage pages (issue 13; Southampton 11: "record the identity of the originator"; docs/after-disclosure-
design.md 9): where a disclosure's information came from and went on, and where an entry went, as a picture (an
inline SVG drawn from rules.lineage_picture, no JavaScript) with the same facts in a table beside it. The part of the
tree the reader may see is the selector's (disclosures.onward_selectors); another agency's disclosure or entry is a
404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from disclosures.onward_selectors import Lineage, disclosure_lineage, entry_lineage


def _page(request: HttpRequest, tree: Lineage, *, title: str, caption: str) -> HttpResponse:
    return render(request, "disclosures/lineage.html", {"tree": tree, "title": title, "caption": caption})


@login_required
def disclosure_lineage_page(request: HttpRequest, pk: int) -> HttpResponse:
    tree = disclosure_lineage(request.user, pk)
    return _page(request, tree, title=f"Where disclosure {pk} came from and went", caption="Disclosures in its lineage")


@login_required
def entry_lineage_page(request: HttpRequest, pk: int) -> HttpResponse:
    tree = entry_lineage(request.user, pk)
    return _page(request, tree, title=f"Where entry {pk} went", caption="Disclosures that carried this entry")

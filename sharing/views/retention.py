"""The partnership admins' page of the children past the age scope, the records closed, those due for erasure and
those erased (Southampton 8, 11). Thin: the selector reads and records the view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sharing.selectors.retention import retention_lists


@login_required
def child_retention_page(request: HttpRequest) -> HttpResponse:
    lists = retention_lists(actor=request.user)
    return render(request, "sharing/retention.html", {"lists": lists})

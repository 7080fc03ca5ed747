"""Searching the child index: the purpose and the criteria are posted, never put in the address (DESIGN 4), and
the results are shown in the response to the post."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agencies.forms import add_service_errors
from agencies.policy import is_practitioner
from isp_portal import policy
from sharing.forms import SearchForm
from sharing.models import Child
from sharing.policy import CHILD_INDEX, index_refusal
from sharing.rules import SEARCH_CRITERIA_HINT
from sharing.search_pace import SearchesTooFrequent
from sharing.search_rows import search_form_markup, search_rows
from sharing.selectors import child_search
from sharing.selectors.children import SEARCH_LIMIT
from sharing.views.purposes import remember_purpose


def index_closed(request: HttpRequest, title: str) -> HttpResponse | None:
    """For a GET by a practitioner who may not use the index yet (training, agency, signature), a page saying
    why (200: the navigation offers it to every practitioner); for anyone else without the index, 403."""
    if policy.can(request.user, "view", CHILD_INDEX):
        return None
    if request.method == "GET" and is_practitioner(request.user):
        return render(
            request,
            "form_page.html",
            {"title": title, "cannot": [index_refusal(request.user) or "You cannot use the child index."]},
        )
    policy.require(request.user, "view", CHILD_INDEX)
    return None


@login_required
def child_search_page(request: HttpRequest) -> HttpResponse:
    closed = index_closed(request, "Find a child")
    if closed is not None:
        return closed
    form = SearchForm(request.POST if request.method == "POST" else None)
    search = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            search = child_search(
                principal=request.user,
                purpose=data["purpose"],
                name=data["name"],
                born_on=data["born_on"],
                nhs_number=data["nhs_number"],
                postcode=data["postcode"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except SearchesTooFrequent as refusal:
            form.add_error(None, refusal.message)
            status = 429
        else:
            remember_purpose(request, [result.child_id for result in search.results], data["purpose"])
    return render(
        request,
        "sharing/search.html",
        {
            "form": form,
            "form_markup": search_form_markup(form),
            "search": search,
            "result_rows": search_rows(search.results) if search else "",
            "limit": SEARCH_LIMIT,
            "can_create": policy.can(request.user, "create", Child),
            "criteria_hint": SEARCH_CRITERIA_HINT,
        },
        status=status,
    )

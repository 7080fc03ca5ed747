"""A child's summary (with the purpose asked first), and the changes an involved agency makes to its minimum data:
another name, a new address (the history kept)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.forms import add_service_errors
from agencies.policy import is_partnership_admin
from isp_portal import policy
from isp_portal.navigation import sections_for
from isp_portal.policy import can
from sharing import presenters, rules, services
from sharing.forms import AddressForm, NameForm, PurposeForm
from sharing.models import Child, Setting
from sharing.policy import index_agencies, may_add_involvement
from sharing.selectors import child_named
from sharing.selectors.record_page import record_page
from sharing.views.purposes import purpose_for, remember_purpose


def child_or_deny(request: HttpRequest, pk: int, action: str = "view") -> Child:
    """The child (only what the policy decides on), or the policy's 404/403. One statement."""
    found = Child.objects.filter(pk=pk).only("id", "merged_into_id", "is_shielded", "closed_on").first()
    return policy.found_or_deny(request.user, Child, found, action=action, target_id=pk)


def ask_purpose(
    request: HttpRequest, child: Child, form: PurposeForm | None = None, next_url: str = ""
) -> HttpResponse:
    """The small form that asks why the user is looking, before a child's record is shown."""
    return render(
        request,
        "sharing/purpose.html",
        {
            "child": child,
            "form": form or PurposeForm(),
            "next": next_url or request.get_full_path(),
            "action": reverse("child-purpose", args=[child.pk]),
        },
    )


def form_caption(request: HttpRequest, child: Child, page: str) -> str | None:
    """The caption of a form about a child: its name and date of birth once the user has stated a purpose for
    it (the record page's purpose, or the purpose step), the view recorded (sharing.selectors.child_named); None
    when no purpose is stated, so the form shows nothing identifying: a GET asks the purpose first, a POST shows
    the index number only."""
    purpose = purpose_for(request, child.pk)
    if purpose is None:
        return None
    return presenters.child_caption(child, child_named(principal=request.user, child=child, purpose=purpose, page=page))


@login_required
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    purpose = purpose_for(request, pk)
    if purpose is None:
        return ask_purpose(request, child_or_deny(request, pk))
    # One statement for the whole read, then the audit event (sharing.selectors.record_page).
    record = record_page(principal=request.user, child_id=pk, purpose=purpose)
    child = record.child
    if child.erased_at is not None:
        # Southampton 8: an erased record shows only that it was erased, when and under which rule.
        # Who reopened it before, and when, stay; the reasons were erased with the content (child_erase).
        return render(
            request,
            "sharing/child_erased.html",
            {"child": child, "closure": presenters.closure_sentence(child), "reopenings": record.reopenings},
        )
    mine = index_agencies(request.user)
    open_here = [i for i in record.involvements if i.ended_on is None and i.agency_id in mine]
    live = child.merged_into_id is None and child.closed_on is None
    # What the page offers is what the policy permits (ChildPolicy), answered from what the page read: no query.
    may_change = can(request.user, "change", child)
    content = [view for view in record.entries if view.revision is not None]
    nhs_number = rules.nhs_number_display(child.nhs_number) if child.nhs_number else ""
    setting = None if record.setting is None else _setting(record.setting, record.setting_name or "")
    return render(
        request,
        "sharing/child_detail.html",
        {
            "record": record,
            "child": child,
            "minimum_data": presenters.minimum_data(
                child,
                legal_name=str(record.legal_name) if record.legal_name else "",
                age=child.age_on(timezone.localdate()),
                nhs_number=nhs_number,
                phone=record.phone,
                setting=setting,
                can_change=may_change,
            ),
            "other_names": presenters.name_items(record.other_names),
            "address_history": presenters.address_items(record.address_history or ()),
            "involvement_rows": presenters.involvement_rows(
                # An End link only on an open record: a closed one's involvements are not changed (Southampton 8).
                child.pk,
                record.involvements,
                {i.pk for i in open_here} if live else set(),
            ),
            "held_rows": presenters.held_rows(record.held),
            "content": content,
            "entry_cards": presenters.entry_cards(child.pk, content),
            "can_change": may_change,
            "can_record": live and bool(mine),
            "can_involve": live and bool(mine) and may_add_involvement(request.user, child),
            "involved_here": bool(open_here),
            "can_merge": live and is_partnership_admin(request.user),
            "can_close": live and is_partnership_admin(request.user),
            # A closed record (not merged; an erased one has its own page above) can be reopened by whoever may
            # close one (break11d finding 11).
            "can_reopen": child.closed_on is not None
            and child.merged_into_id is None
            and is_partnership_admin(request.user),
            "can_shield": can(request.user, "shield", child),
            "can_unshield": can(request.user, "unshield", child),
            "closure": presenters.closure_sentence(record.retention or child, record.close_reason),
            # What other apps add to the page (the disclosures app's ways to share: isp_portal.navigation).
            "sections": sections_for("child-detail", request.user, child),
        },
    )


def _setting(setting: str, name: str) -> str:
    if setting == Setting.NONE:
        return "None"
    label = Setting(setting).label
    return f"{label}: {name}" if name else label


def _own_page(next_url: str, child_pk: int) -> bool:
    """Whether `next_url` is one of this child's own pages: a local path that resolves to a route under
    `children/<pk>/` for this pk. Resolving (not a prefix test) refuses `/children/1/../../admin/` and its
    percent-encoded forms, which a browser would normalise to another page."""
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return False
    try:
        match = resolve(parts.path)
    except Resolver404:
        return False
    return match.route.startswith("children/<int:pk>/") and match.kwargs.get("pk") == child_pk


@login_required
@require_POST
def child_purpose(request: HttpRequest, pk: int) -> HttpResponse:
    child = child_or_deny(request, pk)
    form = PurposeForm(request.POST)
    next_url = request.POST.get("next", "")
    if not _own_page(next_url, child.pk):
        next_url = reverse("child-detail", args=[child.pk])
    if not form.is_valid():
        return ask_purpose(request, child, form, next_url)
    remember_purpose(request, [child.pk], form.cleaned_data["purpose"])
    return redirect(next_url)


@login_required
def child_name_add(request: HttpRequest, pk: int) -> HttpResponse:
    child = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=pk).first(), action="change", target_id=pk
    )
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_name_add(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The name has been added.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Add a name",
            "caption": f"Child {child.pk}",
            "intro": ["A previous name or a name the child is known by. Searches find the child by it too."],
            "submit": "Add name",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )


@login_required
def child_address_change(request: HttpRequest, pk: int) -> HttpResponse:
    child = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=pk).first(), action="change", target_id=pk
    )
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.child_address_change(
                actor=request.user,
                child=child,
                address=data["address"],
                postcode=data["postcode"],
                moved_on=data["moved_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The new address has been recorded; the previous one is kept in the history.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Change the address",
            "caption": f"Child {child.pk}",
            "intro": [
                "The current address ends the day before the move (or on the day of the move, when it began that "
                "day) and stays in the address history."
            ],
            "submit": "Save address",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )

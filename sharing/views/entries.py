"""Record entries: one entry with its revisions (as the reader's level allows), recording one (the category
chosen first, then its structured fields, its text, fact or opinion and the restricted mark) and correcting one
by a new revision (the originating agency)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import Agency
from agencies.policy import is_auditor
from isp_portal import policy
from sharing import rules, services
from sharing.forms import CategoryForm, EntryForm
from sharing.models import Child, Involvement, RecordEntry
from sharing.policy import EntryAccess, index_agencies, require_open_record
from sharing.selectors import entry_detail
from sharing.views.children import ask_purpose, form_caption
from sharing.views.purposes import purpose_for


def field_rows(category: str, fields: dict[str, object]) -> list[tuple[str, str]]:
    """A revision's structured fields as label and value, in the category's order."""
    rows = []
    for spec in rules.CATEGORY_FIELDS[rules.Category(category)]:
        if spec.name not in fields:
            continue
        value = fields[spec.name]
        if isinstance(value, bool):
            shown = "Yes" if value else "No"
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        elif spec.kind == rules.FieldKind.CHOICE:
            shown = str(value).replace("_", " ").capitalize()
        else:
            shown = str(value)
        rows.append((spec.label, shown))
    return rows


# Auditors read an entry's history of revisions (never its content) as their role: that is the purpose recorded.
AUDIT_PURPOSE = "Audit of the entry's history of revisions"


@login_required
def entry_page(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    purpose = AUDIT_PURPOSE if is_auditor(request.user) else purpose_for(request, pk)
    if purpose is None:
        # Whether the entry may be read at all is decided before the purpose is asked (403 naming the holder).
        entry = RecordEntry.objects.filter(pk=entry_pk, child_id=pk).select_related("child", "agency").first()
        entry = policy.found_or_deny(request.user, RecordEntry, entry, target_id=entry_pk)
        policy.require(request.user, "read", entry)
        return ask_purpose(request, entry.child)
    view = entry_detail(principal=request.user, entry_id=entry_pk, purpose=purpose, child_id=pk)
    revisions = [
        {"revision": revision, "rows": field_rows(view.entry.category, revision.fields)}
        for revision in (view.history or ((view.revision,) if view.revision else ()))
    ]
    return render(
        request,
        "sharing/entry_detail.html",
        {
            "view": view,
            "entry": view.entry,
            "revisions": revisions,
            # Nothing is corrected on a merged-away entry or a closed record (services.entry_revise refuses it).
            "can_revise": view.access >= EntryAccess.HISTORY
            and view.entry.child.merged_into_id is None
            and view.entry.child.closed_on is None,
        },
    )


def _recording_agency(user: Any, child: Child) -> Agency | None:
    """The user's agency that is involved with the child (the first by name), or None."""
    involvement = (
        Involvement.objects.filter(child=child, ended_on__isnull=True, agency_id__in=index_agencies(user))
        .select_related("agency")
        .order_by("agency__name")
        .first()
    )
    return involvement.agency if involvement else None


def _renamed(error: ValidationError) -> ValidationError:
    """The service's field messages named as the form's fields: `fields.<name>` is the form's `f_<name>`."""
    renamed: dict[str, list[str]] = {}
    for name, found in error.message_dict.items():
        key = f"f_{name.removeprefix('fields.')}" if name.startswith("fields.") else name
        renamed.setdefault(key, []).extend(found)
    return ValidationError(renamed)


@login_required
def entry_new(request: HttpRequest, pk: int) -> HttpResponse:
    child = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=pk).first(), action="record_entry", target_id=pk
    )
    # Its pages name the child: only once a purpose is stated for it, the view recorded (form_caption).
    if request.method != "POST" and purpose_for(request, child.pk) is None:
        return ask_purpose(request, child)
    back = reverse("child-detail", args=[child.pk])
    agency = _recording_agency(request.user, child)
    if agency is None:
        return render(
            request,
            "form_page.html",
            {
                "title": "Record information",
                "caption": form_caption(request, child, "record information") or f"Child {child.pk}",
                "cannot": [
                    "Only an agency involved with this child records information about them: add your agency's "
                    "involvement from the child's page first."
                ],
                "back_url": back,
            },
        )
    category = request.GET.get("category", "")
    if category not in rules.Category.__members__.values():
        chooser = CategoryForm(request.GET if category else None)
        if category:
            chooser.is_valid()
        return render(
            request,
            "sharing/entry_category.html",
            {"form": chooser, "child": child, "agency": agency, "back_url": back},
        )
    form = EntryForm(request.POST or None, category=category)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_record(
                actor=request.user,
                child=child,
                agency=agency,
                category=category,
                fields=form.structured(),
                text=form.cleaned_data["text"],
                basis=form.cleaned_data["basis"],
                restricted=form.cleaned_data["restricted"],
            )
        except ValidationError as error:
            add_service_errors(form, _renamed(error))
        else:
            messages.success(request, f"The {entry.category_label.lower()} entry has been recorded.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": rules.CATEGORY_LABELS[rules.Category(category)],
            "caption": f"{form_caption(request, child, 'record information') or f'Child {child.pk}'}: "
            f"record information for {agency}",
            "submit": "Record",
            "back_url": reverse("entry-new", args=[child.pk]),
            "back_label": "Choose another kind of information",
        },
    )


@login_required
def entry_revise(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = RecordEntry.objects.filter(pk=entry_pk, child_id=pk).select_related("child", "agency").first()
    entry = policy.found_or_deny(request.user, RecordEntry, entry, action="revise", target_id=entry_pk)
    # Southampton 8: a closed record is never changed, so its form is refused as sending it would be
    # (services.entry_revise), not offered (break10e finding 3).
    require_open_record(entry.child, action="revise", target=entry, what="its entries can no longer be corrected.")
    initial: dict[str, object] = {}
    if request.method != "POST":
        # The form shows the entry's content: a view of the entry like any other (DPA 2018 s62), so it asks the
        # purpose first and reads through entry_detail, which records it. The correction itself is audited by
        # entry_revise and shows only what was typed.
        purpose = purpose_for(request, pk)
        if purpose is None:
            return ask_purpose(request, entry.child)
        latest = entry_detail(principal=request.user, entry_id=entry.pk, purpose=purpose, child_id=pk).revision
        if latest is not None:
            initial = {
                **EntryForm.initial_from(latest.fields),
                "text": latest.text,
                "basis": latest.basis,
                "restricted": latest.is_restricted,
            }
    form = EntryForm(request.POST or None, category=entry.category, revising=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_revise(
                actor=request.user,
                entry=entry,
                fields=form.structured(),
                text=form.cleaned_data["text"],
                basis=form.cleaned_data["basis"],
                restricted=form.cleaned_data["restricted"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, _renamed(error))
        else:
            messages.success(request, "The correction has been recorded as a new revision; earlier ones are kept.")
            return redirect("entry-detail", pk=pk, entry_pk=entry.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Correct the {entry.category_label.lower()} entry",
            "caption": form_caption(request, entry.child, "correct an entry") or f"Child {pk}",
            "intro": ["Your correction is a new revision. Earlier revisions are kept and stay readable."],
            "submit": "Save correction",
            "back_url": reverse("entry-detail", args=[pk, entry.pk]),
        },
    )

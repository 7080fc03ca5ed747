"""Protocols: the register, a protocol's page, its versions and their differences, new versions, status,
adoption, signing and withdrawing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import Agency, Role
from agencies.policy import principal
from isp_portal import policy
from isp_portal.wording import possessive
from protocols import rules, selectors, services
from protocols.forms import AdoptForm, ProtocolCreateForm, ReasonForm, SignForm, TransitionForm, VersionRulesForm
from protocols.models import Protocol, ProtocolStatus, ProtocolVersion, Signature
from protocols.presenters import count_rows, register_rows, version_items, version_rules
from protocols.reference import protocol_template
from protocols.services.protocols import VERSION_FIELDS


@login_required
def protocol_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", Protocol)
    return render(
        request,
        "protocols/protocol_list.html",
        {
            "protocols": selectors.protocols_list(request.user),
            "can_create": policy.can(request.user, "create", Protocol),
        },
    )


@login_required
def protocol_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", Protocol)
    form = ProtocolCreateForm(request.POST or None, initial={**protocol_template(), "kind": "individual"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            protocol = services.protocol_create(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                parent=data["parent"],
                text=data["text"],
                change_note=data["change_note"],
                first_review_months=data["first_review_months"],
                review_every_months=data["review_every_months"],
                fixed_review_date=data["fixed_review_date"],
                **{field: data[field] for field in VERSION_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{protocol} has been created as a draft.")
            return redirect("protocol-detail", pk=protocol.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Create a protocol",
            "submit": "Create draft",
            "back_url": reverse("protocol-list"),
            "intro": [
                "It starts from a model protocol for children and young people: change anything before you save, "
                "including the text, which should be your partnership's own. It is a draft "
                "until a version is put in force."
            ],
        },
    )


@login_required
def protocol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Each thing the page shows is read once, with the columns it shows, in three plain SQL statements
    # (docs/fast-pages.md): the protocol with its supplements, consultations, reviews and audits; the versions
    # without their text (the version in force and the latest are among them); the signature register, which
    # also gives the monthly counts and who may still sign.
    page = selectors.protocol_page(request.user, pk)
    protocol = page.protocol
    user = request.user
    in_force = protocol.current_version_id is not None
    versions = selectors.protocol_versions(protocol)
    latest = versions[0] if versions else None
    current = next((item for item in versions if item.pk == protocol.current_version_id), None)
    protocol.current_version = current
    signatures = selectors.signature_register(protocol)
    can_withdraw = {s.pk for s in signatures if policy.can(user, "withdraw", s)}
    version = current or latest
    # The page body is a compiled template (docs/fast-pages.md §4: protocols/jinja2/protocols/protocol_detail.html).
    return render(
        request,
        "protocols/protocol_detail.html",
        {
            "protocol": protocol,
            "version": version,
            "version_rules": version_rules(version) if version else "",
            "latest": latest,
            "versions": versions,
            "version_items": version_items(protocol.pk, versions, protocol.current_version_id),
            "signatures": signatures,
            "register_rows": register_rows(signatures, can_withdraw),
            "count_rows": count_rows(selectors.signatory_counts(protocol, signatures=signatures)),
            "consultations": page.consultations,
            "reviews": page.reviews,
            "audits": page.audits,
            "supplements": page.supplements,
            "can_manage": policy.can(user, "new_version", protocol) and protocol.status not in rules.TERMINAL,
            "can_adopt": policy.can(user, "adopt", protocol) and protocol.status == ProtocolStatus.DRAFT and latest,
            "can_consult": (
                policy.can(user, "open_consultation", protocol)
                and latest is not None
                and latest.pk != protocol.current_version_id
                and rules.can_transition(
                    rules.Status(protocol.status), rules.Status.CONSULTATION, has_been_in_force=in_force
                )
            ),
            "can_sign": _may_sign(user, protocol, signatures),
            "can_audit": policy.can(user, "audit", protocol),
        },
        using="jinja2",
    )


def _may_sign(user: Any, protocol: Protocol, signatures: list[Signature]) -> bool:
    """Whether any agency the user administers has not yet signed the version in force: _signable_agencies
    answered from the signature register already read and the user's principal, without a statement."""
    if not protocol.is_in_force:
        return False
    signed = {s.agency_id for s in signatures if s.version_id == protocol.current_version_id and not s.withdrawn_at}
    return bool(principal(user).agencies_with(Role.AGENCY_ADMIN) - signed)


def _signable_agencies(user: Any, protocol: Protocol) -> Any:
    """Agencies the user administers that have not yet signed the version in force."""
    if not protocol.is_in_force:
        return Agency.objects.none()
    admin_of = principal(user).agencies_with(Role.AGENCY_ADMIN)
    signed = Signature.objects.filter(version_id=protocol.current_version_id, withdrawn_at__isnull=True).values(
        "agency_id"
    )
    return Agency.objects.filter(pk__in=admin_of).exclude(pk__in=signed).order_by("name")


@login_required
def protocol_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    protocol = policy.get_or_deny(request.user, Protocol, pk=pk)
    version = policy.get_or_deny(
        request.user, ProtocolVersion.objects.select_related("adoption"), protocol=protocol, number=number
    )
    previous = protocol.versions.filter(number__lt=number).order_by("-number").first()
    return render(
        request, "protocols/version_detail.html", {"protocol": protocol, "version": version, "previous": previous}
    )


@login_required
def protocol_version_diff(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    protocol = policy.get_or_deny(request.user, Protocol, pk=pk)
    new = policy.get_or_deny(request.user, ProtocolVersion, protocol=protocol, number=number)
    old = protocol.versions.filter(number__lt=number).order_by("-number").first()
    if old is None:
        messages.info(request, "This is the first version: there is nothing to compare it with.")
        return redirect("protocol-version", pk=protocol.pk, number=number)
    lines, changed = selectors.version_diff(old, new)
    return render(
        request,
        "protocols/version_diff.html",
        {"protocol": protocol, "old": old, "new": new, "lines": lines, "changed": changed},
    )


@login_required
def protocol_version_create(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = policy.get_or_deny(request.user, Protocol, action="new_version", pk=pk)
    latest = protocol.latest_version()
    initial = {field: getattr(latest, field) for field in (*VERSION_FIELDS, "text")} if latest else protocol_template()
    initial["change_note"] = ""
    form = VersionRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            version = services.protocol_version_create(actor=request.user, protocol=protocol, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Version {version.number} saved. It is not in force until adopted.")
            return redirect("protocol-detail", pk=protocol.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Make a new version",
            "caption": protocol.title,
            "submit": "Save new version",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": ["Versions are never changed once saved: this makes a new one, starting from the latest."],
        },
    )


@login_required
def protocol_transition(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = policy.get_or_deny(request.user, Protocol, action="transition", pk=pk)
    in_force = protocol.current_version_id is not None
    allowed = rules.allowed_transitions(rules.Status(protocol.status), has_been_in_force=in_force)
    choices = [
        (status.value, ProtocolStatus(status.value).label)
        for status in rules.Status
        if status in allowed and status != rules.Status.CONSULTATION and (status != rules.Status.ACTIVE or in_force)
    ]
    form = TransitionForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_transition(actor=request.user, protocol=protocol, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"{protocol} is now {ProtocolStatus(form.cleaned_data['to_status']).label.lower()}."
            )
            return redirect("protocol-detail", pk=protocol.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Change the protocol's status",
            "caption": protocol.title,
            "submit": "Change status",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": [f"It is now {protocol.get_status_display().lower()}."]
            + ([] if choices else ["There is no status it can move to from here."]),
        },
    )


@login_required
def protocol_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a draft's latest version in force without consultation ("agreed by report", Haringey 2.3)."""
    protocol = policy.get_or_deny(request.user, Protocol, action="adopt", pk=pk)
    latest = protocol.latest_version()
    form = AdoptForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and latest is not None:
        try:
            services.protocol_adopt(
                actor=request.user,
                protocol=protocol,
                version=latest,
                completion_date=form.cleaned_data["completion_date"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Version {latest.number} of {protocol} is in force.")
            return redirect("protocol-detail", pk=protocol.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Put version {latest.number if latest else ''} in force",
            "caption": protocol.title,
            "submit": "Put in force",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": [
                "Do this when the partnership has agreed the protocol by report. Its first review is scheduled "
                f"from the completion date{latest.cite('review') if latest else ''}."
            ],
        },
    )


@login_required
def protocol_sign(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = policy.get_or_deny(
        request.user, Protocol.objects.select_related("current_version"), action="sign", pk=pk
    )
    agencies = _signable_agencies(request.user, protocol)
    if not agencies.exists():
        # Nothing left to sign: say so instead of showing a form that can only fail.
        messages.info(request, "Every agency you administer has already signed the version in force.")
        return redirect("protocol-detail", pk=protocol.pk)
    form = SignForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid() and protocol.current_version is not None:
        try:
            services.signature_sign(actor=request.user, version=protocol.current_version, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['agency']} has signed {protocol.current_version}.")
            return redirect("protocol-detail", pk=protocol.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Sign the protocol",
            "caption": str(protocol.current_version or protocol),
            "submit": "Sign",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": [
                "Record the signature of your agency's authorised signatory. The agency's signatory checklist "
                f"must be complete first{protocol.cite('signing')}.",
                "The attestation is the signature: type the sentence shown under it exactly.",
            ],
        },
    )


@login_required
def signature_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    signature = policy.get_or_deny(
        request.user, Signature.objects.select_related("agency", "version__protocol"), action="withdraw", pk=pk
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signature_withdraw(actor=request.user, signature=signature, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{possessive(signature.agency)} signature has been withdrawn.")
            return redirect("protocol-detail", pk=signature.protocol_id)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Withdraw {possessive(signature.agency)} signature",
            "caption": str(signature.version),
            "submit": "Withdraw signature",
            "danger": True,
            "back_url": reverse("protocol-detail", args=[signature.protocol_id]),
            "warning": "Without a live signature the agency cannot share information under this protocol.",
        },
    )

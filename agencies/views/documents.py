"""Security summary documents (Haringey 7.2-7.4): upload, download through the policy, written requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies import selectors, services
from agencies.forms import AccessDecisionForm, AccessRequestForm, SecurityDocumentForm, add_service_errors
from agencies.models import Agency, SecurityDocument, SecurityDocumentAccessRequest
from agencies.policy import requesting_agency_for
from isp_portal import policy
from isp_portal.wording import long_date, possessive


@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="upload_security_document", pk=pk)
    form = SecurityDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.security_document_upload(actor=request.user, agency=agency, upload=upload, filename=upload.name)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The security summary document has been uploaded.")
            return redirect("agency-detail", pk=agency.pk)
    current = selectors.document_summary(request.user, agency).current
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Upload the security summary document",
            "caption": agency.name,
            "submit": "Upload",
            "multipart": True,
            "back_url": reverse("agency-detail", args=[agency.pk]),
            "intro": [
                "The summary of your security procedures that partners may ask to see. Other "
                "agencies see it only when you grant their written request.",
                f"The current version was uploaded on {long_date(current.uploaded_at)}; a new upload replaces it."
                if current
                else "No document has been uploaded yet.",
            ],
        },
    )


@login_required
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    """Serve the PDF only after the policy says yes; every opening is audited (in the service)."""
    document = policy.get_or_deny(request.user, SecurityDocument.objects.select_related("agency"), agency_id=pk)
    _, path = services.security_document_open(actor=request.user, document=document)
    handle = path.open("rb")  # FileResponse closes it when the response is done
    filename = f"security-summary-{document.agency_id}.pdf"
    response = FileResponse(handle, content_type="application/pdf", as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def document_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Another agency's admin asks in writing to see this agency's document."""
    agency = policy.get_or_deny(request.user, Agency, action="request_document_of", pk=pk)
    requesting_id = requesting_agency_for(request.user, agency)
    assert requesting_id is not None  # the policy checked it
    requesting = Agency.objects.get(pk=requesting_id)
    document = SecurityDocument.objects.filter(agency=agency).first()
    if document is None:
        messages.info(request, f"{agency} has not uploaded a security summary document yet.")
        return redirect("agency-detail", pk=agency.pk)
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.access_request_create(
                actor=request.user, document=document, requesting_agency=requesting, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Your request has been sent to {possessive(agency)} admins.")
            return redirect("agency-detail", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Ask to see the security summary document",
            "caption": agency.name,
            "submit": "Send request",
            "back_url": reverse("agency-detail", args=[agency.pk]),
            "intro": [
                f"You are asking on behalf of {requesting}. {possessive(agency)} admins will grant or refuse it."
            ],
        },
    )


@login_required
def document_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = policy.get_or_deny(
        request.user,
        SecurityDocumentAccessRequest.objects.select_related("document__agency", "requesting_agency", "requested_by"),
        pk=pk,
    )
    can_decide = access_request.state == "pending" and policy.can(request.user, "decide", access_request)
    form = AccessDecisionForm(request.POST or None)
    if request.method == "POST":
        policy.require(request.user, "decide", access_request)
        if form.is_valid():
            try:
                services.access_request_decide(
                    actor=request.user,
                    access_request=access_request,
                    grant=form.cleaned_data["decision"] == "grant",
                    note=form.cleaned_data["note"],
                    access_expires_on=form.cleaned_data["access_expires_on"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your decision has been recorded and the requesting agency told.")
                return redirect("agency-detail", pk=access_request.document.agency_id)
    return render(
        request,
        "agencies/document_request_detail.html",
        {"access_request": access_request, "form": form, "can_decide": can_decide, "today": timezone.localdate()},
    )

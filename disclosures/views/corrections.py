"""The corrections pages (issue 13; Southampton 9; docs/after-disclosure-design.md 9): notices to acknowledge and
corrections issued, a correction's acknowledgement table, a notice and its acknowledgement, inaccuracy reports
(made from a received disclosure; decided not to correct, or withdrawn). Thin: the policy decides who sees and
does what (disclosures.correction_policy), the services write (disclosures.services.corrections), the selectors
read (disclosures.correction_selectors). Correcting the entry itself is the entry's revise page: every correction
of a disclosed entry is told to every agency that received it, whatever path corrected it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from disclosures import correction_selectors as selectors
from disclosures.correction_policy import reporter_refusal
from disclosures.forms.corrections import AcknowledgeForm, ConfirmForm, RejectForm, ReportForm
from disclosures.models import Disclosure, DisclosureEntry, InaccuracyReport
from disclosures.services import corrections as services
from isp_portal.policy import NotPermitted, OutOfScope, can, get_or_deny, require


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _form_page(request: HttpRequest, **context: Any) -> HttpResponse:
    return render(request, "form_page.html", context)


@login_required
def corrections_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disclosures/correction_list.html",
        {
            "notices": selectors.correction_notices(request.user, pending=True),
            "corrections": selectors.corrections_issued(request.user),
        },
    )


@login_required
def correction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.correction_page(request.user, pk)
    return render(request, "disclosures/correction_detail.html", {"page": page})


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_page(request.user, pk)
    return render(
        request,
        "disclosures/correction_notice.html",
        {"notice": notice, "may_acknowledge": can(request.user, "acknowledge", notice)},
    )


@login_required
def notice_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    # Another agency's notice (or the originator's own) reads as missing: only the agency told acknowledges it.
    notice = selectors.notice_page(request.user, pk, action="acknowledge")
    form = AcknowledgeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.correction_notice_acknowledge(actor=request.user, notice=notice, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "You acknowledged the correction.")
            return redirect("correction-notice-detail", pk=notice.pk)
    return _form_page(
        request,
        form=form,
        title="Acknowledge the correction",
        caption=f"Correction from {notice.correction.originator_agency}",
        intro=[f"What changed and why: {notice.correction.summary}"],
        submit="Acknowledge the correction",
        back_url=reverse("correction-notice-detail", args=[notice.pk]),
    )


@login_required
def report_new(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    disclosure = get_or_deny(request.user, Disclosure.objects.select_related("from_agency"), pk=pk)
    require(request.user, "read_content", disclosure)
    refused = reporter_refusal(request.user, disclosure.to_agency_id)
    if refused:
        raise NotPermitted(action="report", target_type="disclosures.disclosure", target_id=str(pk), reason=refused)
    carried = DisclosureEntry.objects.select_related("entry").filter(disclosure_id=disclosure.pk, entry_id=entry_pk)
    row = carried.first()
    if row is None:  # an entry this disclosure did not carry reads as missing
        raise OutOfScope(action="report", target_type="sharing.recordentry", target_id=str(entry_pk))
    entry = row.entry
    form = ReportForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            report = services.inaccuracy_report_submit(
                actor=request.user, disclosure=disclosure, entry=entry, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{disclosure.from_agency} has been told.")
            return redirect("inaccuracy-report-detail", pk=report.pk)
    return _form_page(
        request,
        form=form,
        title="Report that information you received is inaccurate",
        caption=f"Disclosure {disclosure.pk} from {disclosure.from_agency}",
        intro=[f"{disclosure.from_agency} recorded it and decides whether to correct it."],
        submit="Send the report",
        back_url=reverse("disclosure-detail", args=[disclosure.pk]),
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_page(request.user, pk)
    return render(
        request,
        "disclosures/inaccuracy_report.html",
        {
            "report": report,
            "may_reject": can(request.user, "reject", report),
            "may_withdraw": can(request.user, "withdraw", report),
        },
    )


def _decided(request: HttpRequest, pk: int, act: str) -> InaccuracyReport:
    report: InaccuracyReport = get_or_deny(
        request.user, InaccuracyReport.objects.select_related("entry", "reporter_agency"), action=act, pk=pk
    )
    return report


@login_required
def report_reject(request: HttpRequest, pk: int) -> HttpResponse:
    report = _decided(request, pk, "reject")
    form = RejectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.inaccuracy_report_reject(actor=request.user, report=report, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{report.reporter_agency} has been told the entry is not corrected.")
            return redirect("inaccuracy-report-detail", pk=report.pk)
    return _form_page(
        request,
        form=form,
        title="Decide not to correct the entry",
        caption=f"Report from {report.reporter_agency}",
        submit="Record the decision",
        back_url=reverse("inaccuracy-report-detail", args=[report.pk]),
    )


@login_required
def report_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    report = _decided(request, pk, "withdraw")
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.inaccuracy_report_withdraw(actor=request.user, report=report)
        messages.success(request, "Your report has been withdrawn.")
        return redirect("inaccuracy-report-detail", pk=report.pk)
    return _form_page(
        request,
        form=form,
        title="Withdraw your report",
        intro=["The agency that recorded the entry is no longer asked to correct it."],
        submit="Withdraw the report",
        back_url=reverse("inaccuracy-report-detail", args=[report.pk]),
    )

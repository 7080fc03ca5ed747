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
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from disclosures import correction_selectors as selectors
from disclosures.correction_policy import reads_notice_content, reads_report_content, reporter_refusal
from disclosures.forms.corrections import AcknowledgeForm, ConfirmForm, RejectForm, ReportForm
from disclosures.models import Correction, Disclosure, DisclosureEntry, InaccuracyReport
from disclosures.services import corrections as services
from disclosures.views import confirming
from disclosures.views.requests import _on_top
from isp_portal.policy import NotPermitted, OutOfScope, can, get_or_deny, require
from sharing.forms import EntryForm
from sharing.models import Basis, EntryRevision
from sharing.selectors import entry_detail
from sharing.views.entries import field_rows

AGREE_DRAFT = "inaccuracy_agree_draft"


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
    corrected = page.correction.revision
    compared = selectors.revisions_compared(
        request.user, entry_id=page.correction.entry_id, before_number=corrected.number - 1, after_id=corrected.pk
    )
    return render(
        request,
        "disclosures/correction_detail.html",
        {"page": page, "comparison": _compared_rows(compared, "Revision corrected")},
    )


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_page(request.user, pk)
    compared = selectors.revisions_compared(
        request.user, entry_id=notice.entry_id, before_number=notice.received_revision.number,
        after_id=notice.correction.revision_id,
    )  # fmt: skip
    return render(
        request,
        "disclosures/correction_notice.html",
        {
            "notice": notice, "may_acknowledge": can(request.user, "acknowledge", notice),
            "content": reads_notice_content(request.user, notice),
            "comparison": _compared_rows(compared, "Revision received"),
            # The disclosure it corrects, linked for a reader the disclosure's own policy lets see it (b13e).
            "may_see_disclosure": can(request.user, "view", notice.via_disclosure),
        },
    )  # fmt: skip


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
            "content": reads_report_content(request.user, report),
            "may_agree": can(request.user, "agree", report),
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


# --- Side by side: a revision and its correction (Southampton 9) ----------------------------------------------------


def _content(category: str, fields: dict[str, object], text: str, basis: str) -> dict[str, str]:
    """A revision's content as label and value (its structured fields in the category's order, its text, fact or
    opinion)."""
    shown = dict(field_rows(category, fields))
    shown["Details"] = text or "None"
    shown["Fact or opinion"] = str(Basis(basis).label) if basis in Basis.values else basis
    return shown


def comparison(
    category: str, before: dict[str, str], after: dict[str, str], *, before_heading: str, after_heading: str
) -> dict[str, Any]:
    """Two revisions side by side, for disclosures/includes/revisions_compared.html: a table row per label, each
    saying in words whether it changed (never by colour only)."""
    labels = list(before) + [label for label in after if label not in before]
    rows = [
        (label, before.get(label, "None"), after.get(label, "None"), before.get(label) != after.get(label))
        for label in labels
    ]
    return {"rows": rows, "before_heading": before_heading, "after_heading": after_heading}


def _of(revision: EntryRevision, category: str) -> dict[str, str]:
    return _content(category, dict(revision.fields), revision.text, revision.basis)


def _compared_rows(compared: selectors.RevisionsCompared | None, before_words: str) -> dict[str, Any] | None:
    if compared is None:
        return None
    return comparison(
        compared.category, _of(compared.before, compared.category), _of(compared.after, compared.category),
        before_heading=f"{before_words}: revision {compared.before.number}",
        after_heading=f"Corrected: revision {compared.after.number}",
    )  # fmt: skip


# --- Agreeing with a report and correcting the entry: the form, then "check your answers" (Southampton 9) -----------


def _agreeing(request: HttpRequest, pk: int) -> InaccuracyReport:
    """The open report the reader would correct the entry for: out of scope 404; not of the originator, not allowed
    to correct the entry, or no longer open, 403 with the policy's sentence (InaccuracyReportPolicy `agree`)."""
    report: InaccuracyReport = get_or_deny(
        request.user,
        InaccuracyReport.objects.select_related("entry__child", "reporter_agency", "received_revision"),
        action="agree",
        pk=pk,
    )
    return report


def _entry_form(report: InaccuracyReport, data: Any = None, **kwargs: Any) -> EntryForm:
    return EntryForm(data, category=report.entry.category, revising=True, **kwargs)


def _agree_arguments(report: InaccuracyReport, data: dict[str, list[str]]) -> dict[str, Any]:
    """inaccuracy_report_agree's arguments from what was typed (kept as the form sent it): the form's refusals are
    the service's to show on the check page."""
    bound = QueryDict(mutable=True)
    for name, values in data.items():
        bound.setlist(name, values)
    form = _entry_form(report, bound)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    cleaned = form.cleaned_data
    return {
        "fields": form.structured(), "text": cleaned["text"], "basis": cleaned["basis"],
        "restricted": cleaned["restricted"], "reason": cleaned["reason"], "replaces": _replaces(data),
    }  # fmt: skip


REPLACES = "replaces"


def _replaces(data: dict[str, list[str]]) -> int | None:
    """The revision a draft's correction was written over (kept in the draft, so in the check page's digest: the
    service refuses it once the entry has a newer revision, break13e F8). None for a draft that names none."""
    value = (data.get(REPLACES) or [""])[0]
    return int(value) if value.isdigit() and len(value) < 10 else None


# The purpose recorded when the agree page shows the entry's latest content to correct it (DPA 2018 s62).
AGREE_PURPOSE = "Answering a report that an entry shared is inaccurate"


@login_required
def report_agree(request: HttpRequest, pk: int) -> HttpResponse:
    report = _agreeing(request, pk)
    draft = confirming.draft_of(request, AGREE_DRAFT, report.pk)
    initial: dict[str, object] = {}
    if request.method != "POST" and draft is None:
        latest = entry_detail(principal=request.user, entry_id=report.entry_id, purpose=AGREE_PURPOSE).revision
        if latest is not None:
            initial = {**EntryForm.initial_from(latest.fields), "text": latest.text, "basis": latest.basis,
                       "restricted": latest.is_restricted, "reason": report.what_is_wrong}  # fmt: skip
    data: Any = request.POST if request.method == "POST" else None
    if data is None and draft is not None:
        data = QueryDict(mutable=True)
        for name, values in draft["data"].items():
            data.setlist(name, values)
    form = _entry_form(report, data, initial=initial)
    if request.method == "POST" and form.is_valid():
        typed = {name: request.POST.getlist(name) for name in request.POST if name != "csrfmiddlewaretoken"}
        # The entry's latest revision as this correction is written over it (break13e F8).
        typed[REPLACES] = [str(report.entry.revision_count)]
        _made, problems = confirming.rehearse(
            lambda: services.inaccuracy_report_agree(
                actor=request.user, report=report, **_agree_arguments(report, typed)
            )
        )
        if problems is not None:
            add_service_errors(form, problems)
        else:
            request.session[AGREE_DRAFT] = {"target": report.pk, "data": typed}
            return redirect("inaccuracy-report-agree-check", pk=report.pk)
    return _form_page(
        request,
        form=form,
        title=f"Correct the {report.entry.category_label.lower()} entry",
        caption=f"Report from {report.reporter_agency}",
        intro=[
            f"What is inaccurate: {report.what_is_wrong}",
            f"What it should say: {report.suggested_correction or 'Not given'}",
            "Your correction is a new revision. Every agency that received the entry is told and must acknowledge it.",
        ],
        submit="Continue",
        back_url=reverse("inaccuracy-report-detail", args=[report.pk]),
    )


@login_required
def report_agree_check(request: HttpRequest, pk: int) -> HttpResponse:
    report = _agreeing(request, pk)

    def confirmed(made: Correction) -> HttpResponse:
        messages.success(
            request, f"The entry was corrected. {report.reporter_agency} and every agency told must acknowledge it."
        )
        return redirect("correction-detail", pk=made.pk)

    page = confirming.check_answers(
        request, key=AGREE_DRAFT, target=report.pk,
        form_url=reverse("inaccuracy-report-agree", args=[report.pk]),
        check_url=reverse("inaccuracy-report-agree-check", args=[report.pk]),
        service=lambda typed: services.inaccuracy_report_agree(
            actor=request.user, report=report, **_agree_arguments(report, typed)
        ),
        link=lambda correction: reverse("correction-detail", args=[correction.pk]),
        confirmed=confirmed, on_form=_on_top,
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    category = report.entry.category
    compared = None
    try:
        typed = _agree_arguments(report, page.values)
    except ValidationError:
        typed = None
    if typed is not None:
        # The revision the correction replaces (the latest when the form was sent), as the agree form read it: the
        # originator's own entry, every revision theirs to read (HISTORY access), the view recorded with its
        # purpose (entry.view: break13e F14). The reporter's revision when the draft names none.
        shown = entry_detail(principal=request.user, entry_id=report.entry_id, purpose=AGREE_PURPOSE)
        before = next((r for r in shown.history if r.number == typed["replaces"]), report.received_revision)
        received = before.number == report.received_revision.number
        compared = comparison(
            category, _of(before, category), _content(category, typed["fields"], typed["text"], typed["basis"]),
            before_heading=(
                f"Received by {report.reporter_agency}: revision {before.number}" if received
                else f"The entry now: revision {before.number}"
            ),
            after_heading="Your correction",
        )  # fmt: skip
    answers = [("What this correction changes and why", (typed or {}).get("reason", ""), "id_reason")]
    return render(
        request,
        "disclosures/inaccuracy_agree_check.html",
        {
            "report": report, "comparison": compared, "answers": answers, "form": page.form,
            "change_url": reverse("inaccuracy-report-agree", args=[report.pk]), "draft_digest": page.draft_digest,
        },
    )  # fmt: skip

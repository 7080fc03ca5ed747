"""The breach pages (issue 14; Haringey 6.1-6.2; UK GDPR art. 33): the list of the breaches the reader may see,
reporting one (a form, then "check your answers", then a confirmation panel with its reference), a breach's page
with its obligations, its timeline as a picture and a table, and a page for each step the reader is responsible
for. Thin: the policy decides (404 out of scope, 403 naming the rule), the services write, the selectors read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pygal  # type: ignore[import-untyped]
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from agencies.forms import add_service_errors
from agencies.models import Agency
from breaches import selectors
from breaches.forms import (
    BreachForm,
    BreachReportForm,
    IcoDecisionForm,
    IcoNotificationForm,
    NotifyPartnersForm,
)
from breaches.models import Breach, Obligation
from breaches.services import breaches as services
from disclosures.views import confirming
from isp_portal import policy
from isp_portal.charts import accessible_svg
from isp_portal.wording import long_date, long_datetime
from protocols.models import Protocol
from sharing.policy import CHILD_INDEX

DRAFT_KEY = "breach_report_draft"
# The report journey is about no object yet: its draft is kept for this target.
NEW = 0


@login_required
def breach_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "breaches/breach_list.html",
        {
            "breaches": selectors.breaches_visible(request.user),
            "may_report": policy.can(request.user, "create", Breach),
        },
    )


# --- Reporting a breach: the form, "check your answers", the confirmation ------------------------------------------


def _pickable_children(request: HttpRequest) -> list[tuple[str, str]]:
    """The children the reporter found in the index in the last half hour and may still see (the search is the
    picker, as for a request: sharing.views.purposes), by index number and date of birth."""
    from sharing.models import Child
    from sharing.views.purposes import purpose_for

    table = request.session.get("sharing_purposes")
    ids = [int(key) for key in table if key.isdigit()] if isinstance(table, dict) else []
    ids = [child_id for child_id in ids if purpose_for(request, child_id) is not None]
    if not ids:
        return []
    children = policy.restrict(request.user, "view", Child).filter(pk__in=ids).only("pk", "born_on").order_by("pk")
    return [(str(child.pk), f"Child {child.pk}, born {long_date(child.born_on)}") for child in children]


def _form(request: HttpRequest, data: Any = None, initial: Any = None) -> BreachForm:
    return BreachForm(
        data,
        initial=initial,
        protocols=selectors.reporter_protocols(request.user),
        agencies=selectors.signatory_agencies(),
        children=_pickable_children(request),
    )


def _draft_values(data: dict[str, Any]) -> dict[str, Any]:
    """A form's answers as the session keeps them (JSON)."""
    aware_at = data.get("aware_at") if data.get("is_personal_data_breach") == "yes" else None
    return {
        "protocol": data["protocol"].pk,
        "alleged_agency": data["alleged_agency"].pk,
        "occurred_on": data["occurred_on"].isoformat(),
        "identified_on": data["identified_on"].isoformat(),
        "description": data["description"],
        "children": [int(pk) for pk in data.get("children") or []],
        "is_personal_data_breach": data["is_personal_data_breach"],
        "aware_at": aware_at.isoformat() if aware_at else "",
    }


def _initial(values: dict[str, Any]) -> dict[str, Any]:
    """The form's initial answers from a draft (going back to change them)."""
    aware_at = datetime.fromisoformat(values["aware_at"]) if values.get("aware_at") else None
    local = timezone.localtime(aware_at) if aware_at else None
    return {
        "protocol": values.get("protocol"),
        "alleged_agency": values.get("alleged_agency"),
        "occurred_on": datetime.fromisoformat(values["occurred_on"]).date(),
        "identified_on": datetime.fromisoformat(values["identified_on"]).date(),
        "description": values.get("description", ""),
        "children": [str(pk) for pk in values.get("children", [])],
        "is_personal_data_breach": values.get("is_personal_data_breach"),
        "aware_on": local.date() if local else None,
        "aware_time": f"{local:%H:%M}" if local else "",
    }


def _report(request: HttpRequest, values: dict[str, Any]) -> Breach:
    """Ask the service to report the breach the draft describes (its ValidationError keyed by field)."""
    from sharing.models import Child

    protocol = Protocol.objects.filter(pk=values["protocol"]).first()
    agency = Agency.objects.filter(pk=values["alleged_agency"]).first()
    if protocol is None or agency is None:
        raise ValidationError({"protocol": "Choose the protocol and the agency again."})
    return services.breach_report(
        actor=request.user,
        protocol=protocol,
        alleged_agency=agency,
        occurred_on=datetime.fromisoformat(values["occurred_on"]).date(),
        identified_on=datetime.fromisoformat(values["identified_on"]).date(),
        description=values["description"],
        children=list(Child.objects.filter(pk__in=values.get("children", []))),
        is_personal_data_breach=values["is_personal_data_breach"] == "yes",
        aware_at=datetime.fromisoformat(values["aware_at"]) if values.get("aware_at") else None,
    )


def _on_form(error: ValidationError) -> ValidationError:
    """The service names the time of awareness `aware_at`; the form asks it as a date and a time."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {("aware_on" if name == "aware_at" else name): messages for name, messages in error.message_dict.items()}
    )


@login_required
def breach_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", Breach)
    draft = confirming.draft_of(request, DRAFT_KEY, NEW)
    initial = _initial(draft["data"]) if draft is not None and request.method != "POST" else None
    form = _form(request, request.POST if request.method == "POST" else None, initial)
    if request.method == "POST" and form.is_valid():
        values = _draft_values(form.cleaned_data)
        _made, problems = confirming.rehearse(lambda: _report(request, values))
        if problems is not None:
            add_service_errors(form, _on_form(problems))
        else:
            request.session[DRAFT_KEY] = {"target": NEW, "data": values}
            return redirect("breach-new-check")
    return render(
        request,
        "breaches/breach_new.html",
        {
            "form": form,
            "back_url": reverse("breach-list"),
            # The index is the picker, for those who may use it (a link elsewhere would only be refused).
            "search_url": reverse("child-search") if policy.can(request.user, "view", CHILD_INDEX) else "",
        },
    )


def _answers(values: dict[str, Any], made: Breach | None) -> list[tuple[str, str, str]]:
    protocol = Protocol.objects.filter(pk=values["protocol"]).values_list("title", flat=True).first() or ""
    agency = Agency.objects.filter(pk=values["alleged_agency"]).values_list("name", flat=True).first() or ""
    personal = values["is_personal_data_breach"] == "yes"
    children = values.get("children") or []
    answers = [
        ("Protocol", protocol, "id_protocol"),
        ("Agency alleged to be in breach", agency, "id_alleged_agency"),
        ("Occurred on", long_date(datetime.fromisoformat(values["occurred_on"]).date()), "id_occurred_on_day"),
        ("Identified on", long_date(datetime.fromisoformat(values["identified_on"]).date()), "id_identified_on_day"),
        ("What happened", values["description"], "id_description"),
        (
            "Children affected",
            ", ".join(f"Child {pk}" for pk in children) if children else "None named",
            "id_children",
        ),
        ("Personal-data breach likely to put people at risk", "Yes" if personal else "No",
         "id_is_personal_data_breach_0"),
    ]  # fmt: skip
    if personal and values.get("aware_at"):
        answers.append(
            ("Your agency became aware", long_datetime(datetime.fromisoformat(values["aware_at"])), "id_aware_on_day")
        )
    if made is not None:
        for row in selectors.obligation_rows(list(made.obligations.all()), timezone.now()):
            due = long_datetime(row.due_at) if row.hour_based else long_date(row.due_on)
            answers.append((f"{row.label}: due", due, ""))
    return answers


@login_required
def breach_new_check(request: HttpRequest) -> HttpResponse:
    """Check your answers before the breach is reported: the due dates the service would set, or its refusal;
    confirmed once, and only what the page showed (disclosures.views.confirming)."""
    policy.require(request.user, "create", Breach)

    def confirmed(breach: Breach) -> HttpResponse:
        return redirect("breach-reported", pk=breach.pk)

    def made_with_obligations(values: dict[str, Any]) -> Breach:
        breach = _report(request, values)
        # Read inside the rehearsal, before its rollback: the check page shows the due dates it would set.
        breach._prefetched_objects_cache = {"obligations": list(breach.obligations.all())}  # type: ignore[attr-defined]
        return breach

    page = confirming.check_answers(
        request, key=DRAFT_KEY, target=NEW, form_url=reverse("breach-new"), check_url=reverse("breach-new-check"),
        service=made_with_obligations, link=lambda breach: reverse("breach-reported", args=[breach.pk]),
        confirmed=confirmed, on_form=_on_form,
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    return render(
        request,
        "breaches/breach_check.html",
        {
            "answers": _answers(page.values, page.made),
            "form": page.form,
            "change_url": reverse("breach-new"),
            "draft_digest": page.draft_digest,
        },
    )


@login_required
def breach_reported(request: HttpRequest, pk: int) -> HttpResponse:
    breach = selectors.breach_found(request.user, pk)
    return render(request, "breaches/breach_reported.html", {"breach": breach})


# --- A breach's page and its timeline ------------------------------------------------------------------------------


@login_required
def breach_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.breach_page(request.user, pk)
    return render(
        request,
        "breaches/breach_detail.html",
        {
            "page": page,
            "breach": page.breach,
            "actions": [(step, STEP_TITLES[step]) for step in page.actions],
            "child_links": bool(page.children),
        },
    )


def timeline_svg(breach: Breach, rows: list[selectors.ObligationRow], now: datetime) -> SafeString:
    """The obligations as a picture (pygal, drawn on the server): each step a bar from its anchor to its due time,
    its completion a mark (green on time, red late), today a dashed line, coloured by static/src/application.scss's
    .app-timeline. An accessible image made safe for the page by isp_portal.charts.accessible_svg; the table beside
    it holds the same facts for those who cannot see it."""
    count = len(rows)
    chart = pygal.DateTimeLine(
        js=[], css=[], disable_xml_declaration=True, explicit_size=False, width=900, height=120 + 60 * count,
        show_legend=False, dots_size=5, range=(0, count + 1), include_x_axis=False, truncate_label=-1,
        x_label_rotation=0, x_value_formatter=lambda value: long_date(value), show_y_guides=False,
        y_labels=[{"label": row.label, "value": count - index} for index, row in enumerate(rows)],
        allow_interruptions=True,
    )  # fmt: skip
    classes: list[str] = []
    for index, row in enumerate(rows):
        y = count - index
        chart.add(row.label, [(row.anchor_at, y), (row.due_at, y)])
        classes.append("app-timeline__step")
    done_on_time: list[tuple[datetime, int] | None] = []
    done_late: list[tuple[datetime, int] | None] = []
    for index, row in enumerate(rows):
        if row.completed_at is not None:
            (done_on_time if row.late is None else done_late).append((row.completed_at, count - index))
    chart.add("Done on time", done_on_time or [None], stroke=False, dots_size=8)
    classes.append("app-timeline__done")
    chart.add("Done late", done_late or [None], stroke=False, dots_size=8)
    classes.append("app-timeline__late")
    chart.add("Today", [(now, 0.3), (now, count + 0.7)])
    classes.append("app-timeline__today")
    return accessible_svg(
        chart,
        chart_id="breach-timeline",
        title=f"Breach {breach.reference}: its steps, from anchor to due date",
        description=(
            f"A timeline of the {count} steps of breach {breach.reference}: each step is a bar from what its clock "
            "runs from to when it is due; a green mark is a step done on time, a red mark a step done late; the "
            "dashed line is today. The table below gives the same dates."
        ),
        css_class="app-timeline",
        series_classes=classes,
    )


@login_required
def breach_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.breach_page(request.user, pk)
    now = timezone.now()
    return render(
        request,
        "breaches/breach_timeline.html",
        {"page": page, "breach": page.breach, "chart": timeline_svg(page.breach, page.rows, now), "now": now},
    )


# --- The steps: one page each, for those responsible ---------------------------------------------------------------

STEP_TITLES = {
    "notify-partners": "Notify the partner agencies",
    "report": "Submit the breach report",
    "ico-decision": "Record the ICO decision",
    "ico-notification": "Record the ICO notification",
}
STEP_FORMS: dict[str, type[Any]] = {
    "notify-partners": NotifyPartnersForm,
    "report": BreachReportForm,
    "ico-decision": IcoDecisionForm,
    "ico-notification": IcoNotificationForm,
}
STEP_INTRO = {
    "notify-partners": "Every partner agency that has signed the protocol is told of the breach (the protocol, "
    "section 6.1: within 5 working days of its being identified).",
    "report": "Your agency's report of the breach and the actions taken, distributed to the partners (the protocol, "
    "section 6.2: within 10 working days of the breach). It cannot be changed once submitted.",
    "ico-decision": "Decide whether the breach is likely to result in a risk to people's rights and freedoms, and so "
    "must be reported to the Information Commissioner's Office within 72 hours of your agency becoming aware of it. "
    "Who decided, when and why are recorded, and cannot be changed.",
    "ico-notification": "Record when the Information Commissioner's Office was told. If it was more than 72 hours "
    "after your agency became aware, give the reasons for the delay.",
}


def _run(step: str, user: Any, breach: Breach, data: dict[str, Any]) -> Any:
    if step == "notify-partners":
        return services.breach_partners_notify(actor=user, breach=breach, note=data.get("note", ""))
    if step == "report":
        return services.breach_report_submit(actor=user, breach=breach, report=data["report"])
    if step == "ico-decision":
        return services.breach_ico_decide(
            actor=user, breach=breach, reportable=data["reportable"] == "yes", reason=data["reason"]
        )
    return services.breach_ico_notified(
        actor=user, breach=breach, notified_at=data["notified_at"], reference=data.get("reference", ""),
        delay_reason=data.get("delay_reason", ""),
    )  # fmt: skip


def _service_errors(step: str, error: ValidationError) -> ValidationError:
    """The service names the step itself `obligation` (done already) and the ICO time `notified_at`."""
    if not hasattr(error, "error_dict"):
        return error
    renamed = {"obligation": "__all__", "notified_at": "notified_on"}
    return ValidationError({renamed.get(name, name): text for name, text in error.message_dict.items()})


def _step_view(step: str) -> Callable[..., HttpResponse]:
    kind = selectors.STEPS[step]

    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        breach = selectors.breach_found(request.user, pk)
        obligation = Obligation.objects.filter(breach=breach, kind=kind).select_related("completed_by").first()
        if obligation is None:
            # No such step (the ICO's, of a breach that is not a personal-data one): as missing, and recorded.
            raise policy.OutOfScope(action="complete", target_type="breaches.obligation", target_id=f"{pk}:{step}")
        obligation.breach = breach
        back_url = reverse("breach-detail", args=[breach.pk])
        if obligation.completed_at is not None:
            # Completing twice: refused naming the rule (the completion is frozen: the database's trigger).
            by = f" by {obligation.completed_by}" if obligation.completed_by else ""
            return render(
                request,
                "form_page.html",
                {
                    "title": STEP_TITLES[step], "caption": f"Breach {breach.reference}", "back_url": back_url,
                    "cannot": [f"This step was done on {long_datetime(obligation.completed_at)}{by}. Its completion "
                               "is recorded and cannot be changed."],
                },
            )  # fmt: skip
        policy.require(request.user, "complete", obligation)
        form = STEP_FORMS[step](request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                _run(step, request.user, breach, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, _service_errors(step, error))
            else:
                messages.success(request, f"{STEP_TITLES[step]}: done. The breach's steps below show it.")
                return redirect("breach-detail", pk=breach.pk)
        due = long_datetime(obligation.due_at) if step.startswith("ico") else long_date(obligation.due_on)
        return render(
            request,
            "form_page.html",
            {
                "title": STEP_TITLES[step], "caption": f"Breach {breach.reference}: {breach.alleged_agency}",
                "intro": [STEP_INTRO[step], f"Due by {due}."], "form": form, "submit": STEP_TITLES[step],
                "back_url": back_url,
            },
        )  # fmt: skip

    view.__name__ = f"breach_{step.replace('-', '_')}"
    return view


urlpatterns = [
    path("breaches/", breach_list, name="breach-list"),
    path("breaches/new/", breach_new, name="breach-new"),
    path("breaches/new/check/", breach_new_check, name="breach-new-check"),
    path("breaches/<int:pk>/", breach_detail, name="breach-detail"),
    path("breaches/<int:pk>/reported/", breach_reported, name="breach-reported"),
    path("breaches/<int:pk>/timeline/", breach_timeline, name="breach-timeline"),
    *[path(f"breaches/<int:pk>/{step}/", _step_view(step), name=f"breach-{step}") for step in selectors.STEPS],
]

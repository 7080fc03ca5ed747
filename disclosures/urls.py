"""HTML routes of the disclosures app (issue 12). Every route has rows in tests/cases/disclosure*.py."""

from django.urls import URLPattern, path

from disclosures.views import answers, corrections, disclosures, lineage, onward, unrequested
from disclosures.views import disputes as dispute_views
from disclosures.views import register as register_views
from disclosures.views import requests as request_views

urlpatterns: list[URLPattern] = [
    # -- Requests: the request journey, the holding agency's inbox, a request's page, withdrawal. --
    path("children/<int:pk>/requests/new/", request_views.request_new, name="request-new"),
    path("children/<int:pk>/requests/new/check/", request_views.request_new_check, name="request-new-check"),
    path("requests/", request_views.request_inbox, name="request-inbox"),
    path("requests/<int:pk>/", request_views.request_detail, name="request-detail"),
    path("requests/<int:pk>/withdraw/", request_views.request_withdraw, name="request-withdraw"),
    # -- end of requests --
    # -- Answers: the decision journey (share or decline, with check your answers). --
    path("requests/<int:pk>/answer/", answers.answer_start, name="disclosures-answer"),
    path("requests/<int:pk>/answer/check/", answers.answer_check, name="disclosures-answer-check"),
    path("requests/<int:pk>/decline/", answers.answer_decline, name="disclosures-decline"),
    # -- end of answers --
    # -- Approvals and disclosures: the manager's approvals, a disclosure's page, what was received. --
    path("approvals/", disclosures.approvals, name="approvals"),
    path("requests/<int:pk>/approval/", disclosures.request_approval, name="request-approval"),
    path("disclosures/", disclosures.disclosures_sent, name="disclosures-sent"),
    path("disclosures/received/", disclosures.disclosures_received, name="disclosures-received"),
    path("disclosures/<int:pk>/", disclosures.disclosure_detail, name="disclosure-detail"),
    path("disclosures/<int:pk>/review/", disclosures.disclosure_review, name="disclosure-review"),
    path("disclosures/<int:pk>/revoke/", disclosures.disclosure_revoke, name="disclosure-revoke"),
    # -- end of approvals and disclosures --
    # -- Without a request: emergency disclosure and proactive referral, started from a child. --
    path("children/<int:pk>/disclosures/emergency/", unrequested.emergency_new, name="disclosure-emergency"),
    path(
        "children/<int:pk>/disclosures/emergency/check/", unrequested.emergency_check, name="disclosure-emergency-check"
    ),
    path("children/<int:pk>/disclosures/refer/", unrequested.refer_new, name="disclosure-refer"),
    path("children/<int:pk>/disclosures/refer/check/", unrequested.refer_check, name="disclosure-refer-check"),
    # -- end of without a request --
    # -- Onward disclosure (issue 13, WP2): pass on, the originator's decision, disclose. --
    path("onward/", onward.onward_list, name="onward-list"),
    path("onward/<int:pk>/", onward.onward_detail, name="onward-detail"),
    path("onward/<int:pk>/decide/", onward.onward_decide, name="onward-decide"),
    path("onward/<int:pk>/withdraw/", onward.onward_withdraw, name="onward-withdraw"),
    path("onward/<int:pk>/disclose/", onward.onward_disclose, name="onward-disclose"),
    path("onward/<int:pk>/disclose/check/", onward.onward_disclose_check, name="onward-disclose-check"),
    path("disclosures/<int:pk>/pass-on/", onward.pass_on_new, name="onward-pass-on"),
    path("disclosures/<int:pk>/pass-on/check/", onward.pass_on_check, name="onward-pass-on-check"),
    # -- end of onward --
    # -- Lineage (issue 13, WP2): a disclosure's and an entry's lineage. --
    path("disclosures/<int:pk>/lineage/", lineage.disclosure_lineage_page, name="disclosure-lineage"),
    path("entries/<int:pk>/lineage/", lineage.entry_lineage_page, name="entry-lineage"),
    # -- end of lineage --
    # -- Corrections (issue 13, WP3): notices to acknowledge, corrections issued, inaccuracy reports. --
    path("corrections/", corrections.corrections_list, name="correction-list"),
    path("corrections/<int:pk>/", corrections.correction_detail, name="correction-detail"),
    path("corrections/notices/<int:pk>/", corrections.notice_detail, name="correction-notice-detail"),
    path(
        "corrections/notices/<int:pk>/acknowledge/",
        corrections.notice_acknowledge,
        name="correction-notice-acknowledge",
    ),
    path("disclosures/<int:pk>/entries/<int:entry_pk>/report/", corrections.report_new, name="inaccuracy-report-new"),
    path("inaccuracy-reports/<int:pk>/", corrections.report_detail, name="inaccuracy-report-detail"),
    path("inaccuracy-reports/<int:pk>/agree/", corrections.report_agree, name="inaccuracy-report-agree"),
    path(
        "inaccuracy-reports/<int:pk>/agree/check/",
        corrections.report_agree_check,
        name="inaccuracy-report-agree-check",
    ),
    path("inaccuracy-reports/<int:pk>/reject/", corrections.report_reject, name="inaccuracy-report-reject"),
    path("inaccuracy-reports/<int:pk>/withdraw/", corrections.report_withdraw, name="inaccuracy-report-withdraw"),
    # -- end of corrections --
    # -- Disputes (issue 13, WP4): the dispute journey and the central register. --
    path("requests/<int:pk>/dispute/", dispute_views.dispute_new, name="dispute-new"),
    path("requests/<int:pk>/dispute/check/", dispute_views.dispute_new_check, name="dispute-new-check"),
    path("onward/<int:pk>/dispute/", dispute_views.onward_dispute_new, name="onward-dispute-new"),
    path("onward/<int:pk>/dispute/check/", dispute_views.onward_dispute_check, name="onward-dispute-check"),
    path("disputes/", dispute_views.dispute_list, name="dispute-list"),
    path("disputes/register/", register_views.register, name="dispute-register"),
    path("disputes/register/export.csv", register_views.register_export, name="dispute-register-export"),
    path("disputes/<int:pk>/", dispute_views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/position/", dispute_views.dispute_position, name="dispute-position"),
    path("disputes/<int:pk>/escalate/", dispute_views.dispute_escalate, name="dispute-escalate"),
    path("disputes/<int:pk>/advice/", dispute_views.dispute_advise, name="dispute-advise"),
    path("disputes/<int:pk>/decide/", dispute_views.dispute_decide, name="dispute-decide"),
    path("disputes/<int:pk>/record/", dispute_views.dispute_record, name="dispute-record"),
    path("disputes/<int:pk>/withdraw/", dispute_views.dispute_withdraw, name="dispute-withdraw"),
    # -- end of disputes --
]

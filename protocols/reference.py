"""The values a new protocol starts from (issue 4): the scope, purposes, tiers and grounds of the draft
Haringey Information Sharing Protocol for Children and Young People (shared/seeds/000_*.txt), and a text
written as the partnership's own (users never see the source documents named: issue 8, item 13).

Section numbers in the comments are those of the Haringey draft.
"""

from __future__ import annotations

from typing import Any

from protocols.models import AgeCondition, Ground

# Haringey 3.6: why information about children, young people and families is shared.
HARINGEY_PURPOSES = [
    "Provide professionals with background information on their clients",
    "Reduce the need for information to be repeated to different professionals",
    "Inform decisions in meeting statutory duties to promote the welfare of children",
    "Keep track of interventions and the status of contact with clients",
    "Ensure that clients can be traced",
    "Identify children and families who have not benefited from service support",
    "Reduce duplication of data collection across partner agencies",
    "Improve the consistency and accuracy of management information",
    "Ensure that children and young people are adequately safeguarded",
]

# Haringey 3.7a: aggregate and management information, for planning and monitoring.
HARINGEY_AGGREGATE_FIELDS = ["Counts by agency", "Area", "Age band", "Gender", "Ethnic origin", "Legal basis", "Month"]

# Haringey 3.8: the minimum data to identify a child and co-ordinate services.
HARINGEY_MINIMUM_FIELDS = [
    "Originating organisation and lead professional or key contact",
    "Forenames and surname (including aliases)",
    "Address including postcode",
    "Phone number",
    "Date of birth",
    "Gender",
    "Ethnic origin",
    "Current status (under-5s provision, school, college)",
    "NHS number",
]

# Haringey 3.9: detailed and sensitive information.
HARINGEY_SENSITIVE_FIELDS = [
    "Name of lead professional or key contact",
    "Type of contact",
    "Date of contact",
    "Duration of contact",
    "Names of persons in contact with the child or family",
    "Special Educational Needs statement",
    "Level of support and social circumstances",
    "Relevant health information",
    "Legal status (looked after, offending)",
    "Case notes",
]

# Haringey 4.5: when detailed and sensitive information may be disclosed without consent.
HARINGEY_GROUNDS = [
    Ground.SIGNIFICANT_HARM,
    Ground.URGENT_MEDICAL,
    Ground.HOME_OFFICE,
    Ground.COURT_ORDER,
    Ground.POLICE_S29,
]

# The text a new protocol starts from. Its sections follow the Haringey draft (2.3 changes by report; 4.1
# registration; 5.1 review six months after completion then yearly; 5.3 reporting; 5.5 the plan; 5.7-5.11
# audit; 6 breaches; 7.2 security documents), the Buckinghamshire consultation and signing rules (1-2; 4
# training) and the Southampton signatory checklist (18), rewritten as one partnership's own document with
# its own numbering. DEFAULT_CLAUSES maps the portal's rules onto these sections.
TEMPLATE_TEXT = """INFORMATION SHARING PROTOCOL FOR CHILDREN AND YOUNG PEOPLE

1. Purpose and scope
1.1 This protocol sets out how the partner organisations share information about children, young people and their
families so that they are kept safe and receive the services they need.
1.2 It covers children and young people from birth to their 19th birthday, and to their 25th birthday for care
leavers and young people with additional needs.

2. Agreeing and changing the protocol
2.1 Any change to this protocol is agreed by report to the partnership board and recorded as a new version.
2.2 A proposed change is sent to every signatory organisation with a date for responses. An organisation that
does not respond by that date is taken to agree.
2.3 Each organisation signs through its authorised signatory once it has confirmed every signatory requirement.

3. Information to be shared
3.1 Information is shared at three levels: aggregate and management information, for planning and monitoring;
the minimum data needed to identify a child or young person; and detailed and sensitive information needed to
provide support. Only the minimum information needed is requested, on a need-to-know basis.

4. Procedures
4.1 Each partner keeps an up-to-date registration with the Information Commissioner and renews it every year.
4.2 Staff complete recognised information-sharing training before they are given access to records.
4.3 Detailed and sensitive information is shared with the explicit consent of the competent child or of those
with parental responsibility; without consent only where the law allows, with the decision referred to a
designated manager and the reasons recorded in full.

5. Review and audit
5.1 The protocol is reviewed six months after its completion date and every year after that.
5.2 The review's findings are reported in writing at the next meeting of the partners, or one calendar month
after the review, whichever is sooner.
5.3 Partners carry out the actions of the agreed implementation plan within the agreed time.
5.4 Any partner may audit the use of this protocol, giving the other partners one month's notice in writing of
the audit's scope. Draft extracts are shared only with the partners they name, who respond by the agreed date.

6. Breaches
6.1 A breach is reported to the other partners within five working days of being identified. The partner in
breach reports within ten working days; the partners meet within twenty working days; any sanctions are minuted
and circulated within five working days of the meeting.

7. Security
7.1 Each partner keeps a summary of its security arrangements and shows it to another partner that asks in
writing.
"""

# Where TEMPLATE_TEXT states each rule the portal cites (keys: protocols.rules.RULE_CLAUSES).
DEFAULT_CLAUSES = {
    "scope": "1.2",
    "changes": "2.1",
    "consultation": "2.2",
    "signing": "2.3",
    "ico_registration": "4.1",
    "training": "4.2",
    "consent": "4.3",
    "review": "5.1",
    "review_report": "5.2",
    "implementation_plan": "5.3",
    "audit": "5.4",
    "breaches": "6.1",
    "security_documents": "7.1",
}


def protocol_template() -> dict[str, Any]:
    """The values a new protocol starts from (every one can be changed before it is saved)."""
    return {
        "text": TEMPLATE_TEXT,
        "clauses": dict(DEFAULT_CLAUSES),
        "age_min": 0,
        "age_max": 19,
        "extended_age_max": 25,
        "extended_age_conditions": [AgeCondition.ADDITIONAL_NEEDS, AgeCondition.CARE_LEAVER],
        "permitted_purposes": list(HARINGEY_PURPOSES),
        "aggregate_fields": list(HARINGEY_AGGREGATE_FIELDS),
        "minimum_fields": list(HARINGEY_MINIMUM_FIELDS),
        "sensitive_fields": list(HARINGEY_SENSITIVE_FIELDS),
        "grounds_without_consent": [ground.value for ground in HARINGEY_GROUNDS],
        "response_working_days": 10,
        "retention_months": 24,
        "shows_held_categories": True,
        "first_review_months": 6,
        "review_every_months": 12,
    }

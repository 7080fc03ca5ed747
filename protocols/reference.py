"""The Haringey protocol's values, used as the default template for a new protocol (issue 4).

Section numbers are those of the draft Haringey Information Sharing Protocol for Children and Young People
(shared/seeds/000_*.txt).
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

HARINGEY_TEXT = """HARINGEY INFORMATION SHARING PROTOCOL FOR CHILDREN AND YOUNG PEOPLE

1. Description
This individual protocol supplements the general protocol agreed between the partner organisations. It governs the
sharing of information between agencies working with children and young people aged 0-19 years (25 years for young
people with additional needs).

2. Document control
Any changes to the document will be agreed by report to the partnership.

3. Information to be shared
Information is shared at three levels: aggregate and management information, for planning and monitoring; the minimum
data needed to identify a child or young person; and detailed and sensitive information needed to provide
comprehensive support. Only the minimum information needed will be requested, on a need-to-know basis.

4. Procedures
Partner organisations keep an up-to-date Data Protection notification, reviewed annually. Children, young people and
their parents or carers are told that information will be shared with the partner organisations. Detailed and
sensitive information is shared with the explicit consent of the competent child or of those with parental
responsibility; without it only where the law allows, and every such case is referred to a designated manager unless
exceptional circumstances apply. The reasons are recorded in full.

5. Review and audit
The protocol is reviewed six months from the completion date and annually thereafter. Findings are reported in writing
at the next meeting of the partner organisations or one calendar month after the review, whichever is sooner. The
protocol is subject to audit by any partner organisation, given one month's notice in writing of the scope.

6. Breaches
Breaches are reported to the other partners within five working days of being identified; the partner in breach
reports within ten working days; the partners meet within twenty working days; sanctions are minuted and circulated
within five working days of the meeting.

7. Security
Partner organisations grant access to their security summary documents following a written request.
"""


def haringey_template() -> dict[str, Any]:
    """The values a new protocol starts from (every one can be changed before it is saved)."""
    return {
        "text": HARINGEY_TEXT,
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
        "first_review_months": 6,
        "review_every_months": 12,
    }

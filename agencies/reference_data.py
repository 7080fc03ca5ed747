"""Reference data every partnership starts with: the signatory requirements (Southampton 18, the 20 items)
and the recognised training courses. Partnership admins can change both afterwards.

`ensure_reference_data` is used by the data migration (with historical models) and by the demo seeder and
tests (which may run after a test database was emptied)."""

from __future__ import annotations

from typing import Any

REQUIREMENTS = [
    "We have an information security policy.",
    "We have a Data Protection policy and procedures to maintain the security of data.",
    "Notification to the Information Commissioner's Office is up to date.",
    "Where required a Caldicott Guardian is appointed.",
    "Information sharing training is available to all relevant staff.",
    "The organisation is aware that it will remain legally responsible for the information held within the "
    "organisation as required by Data Protection legislation.",
    "The organisation will respond to requests for information within a reasonable time scale (as agreed in "
    "local or specific agreements and included in legislation).",
    "All relevant staff are issued with a Code of Conduct or similar guidance.",
    "The organisation has confidentiality agreements for all staff (including permanent, temporary, voluntary, "
    "contract, students on placements, locums or bank staff).",
    "The organisation has confidentiality clauses in all contracts.",
    "Service user records are stored in an appropriate and secure manner.",
    "Access to information is adequately controlled (for example by passwords and network access controls).",
    "Secondary disclosures are prohibited unless explicit consent is received from the originating source.",
    "All new information systems are designed to include clear audit trails for all access to and uses of information.",
    "All information is backed up and all backups are held securely.",
    "Service user identifiable information is not sent using unsecured email or postal services.",
    "Where the organisation stores or transfers personal data it has collected, it adheres to local and "
    "national standards of security and encryption as prescribed by the Information Commissioner's Office.",
    "Where the local authority has a specific business need for the organisation to handle its information "
    "(for instance under a public service contract), transfers follow the local authority's corporate "
    "standards and use encryption tools that meet them.",
    "A secure disposal system is available for all service user information no longer required, and all staff "
    "have policies or procedures to follow (paper, electronic and other media).",
    "All staff will know about and follow this Protocol.",
]

COURSES = [
    ("Multi-agency information sharing (online)", True, 24),
    ("Multi-agency information sharing (classroom)", True, 36),
    ("Working Together to Safeguard Children", False, 36),
]


def ensure_reference_data(requirement: Any, course: Any) -> None:
    """Create whatever is missing (idempotent)."""
    if requirement.objects.exists() and course.objects.exists():
        return
    for number, text in enumerate(REQUIREMENTS, start=1):
        requirement.objects.get_or_create(number=number, is_active=True, defaults={"text": text})
    for name, information_sharing, months in COURSES:
        course.objects.get_or_create(
            name=name, defaults={"is_information_sharing": information_sharing, "validity_months": months}
        )

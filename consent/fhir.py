"""A consent record as a FHIR R4 Consent resource (DESIGN 2.4: the form NHS systems exchange).

Built with the `fhir.resources` models of FHIR R4B (4.3.0; `fhir.resources.R4B`): the Consent resource of R4B
is that of R4 (4.0.1) unchanged, element for element, and the package's own R4 models went with its 6.x line
(pydantic 1). The models validate what is built, so a record that cannot be said in FHIR fails here, not at the
receiving system.

The mapping:
* `status`: active; inactive once withdrawn, past its period, (a parent's decision) once the young person
  decides for themselves, or while other decisions override it on every share it covers (a competent child's
  own over a parent's), as consent.selectors.consent_readings reads it.
* `scope`: patient-privacy (consentscope); `category`: LOINC 59284-0 "Patient Consent" and v3 ActCode IDSCL
  (information disclosure).
* `patient`: the child; `performer`: who decided (the child, or a RelatedPerson named with their relationship);
  `organization`: the agency that recorded it; `dateTime`: the day the decision was obtained;
  `sourceAttachment`: the evidence file's kind, name and size (the file itself is served by the portal).
* `policy`: the protocol version the consent was given under.
* `provision`: permit (given) or deny (refused); `period` (its end inclusive, as FHIR's Period is: the last day
  covered, the day before a withdrawal or before the young person decides for themselves); `actor`: each named
  recipient agency as an information recipient (v3 ParticipationType IRCP), or, for a consent to every
  signatory of the protocol, each agency that was a signatory when it was decided (the end of the day it was
  obtained, or its recording if sooner: consent.rules.scope_fixed_at), in the same role;
  `purpose`: the protocol's purposes (Coding, code = the purpose's position in the version's list); `class`:
  the tiers; nested `provision`s of the opposite type: the part of its scope on which another decision prevails
  (deny within a permit a competent child's refusal of one of the agencies overrides).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.consent import Consent

from consent import rules, selectors
from consent.models import ConsentRecord, Decision, GivenBy

FHIR_MEDIA_TYPE = "application/fhir+json"


def _system() -> str:
    # The portal's own code systems and the protocol as the consent's policy, named under the address the
    # partnership serves it at (SITE_URL), so a receiving system can tell one partnership's codes from another's.
    return f"{settings.SITE_URL.rstrip('/')}/fhir"


_TIER_DISPLAY = {"minimum": "Minimum data", "sensitive": "Detailed and sensitive information"}


def _lapses_on(record: ConsentRecord, age: int) -> date | None:
    # A parent's decision stops counting when the young person decides for themselves (16, or 18 at the latest:
    # consent.rules.parent_decision_ends_on), at the age by the date of birth recorded now (`age`).
    return rules.parent_decision_ends_on(given_by=record.given_by, child_age=age, born_on=record.child.born_on)


def _status(reading: selectors.Reading) -> str:
    """FHIR R4 Consent.status: "inactive" ("the consent is terminated or replaced") once the record does not count
    as the portal reads it (consent.selectors.consent_readings, the one reading of the summary, the API and the
    pages: withdrawn, past its period, a parent's decision the young person now makes, an under-16's own decision
    with no assessment, or overridden on every share it covers: a competent child's own prevails over a parent's,
    Barnet; break11c finding 5), so no receiving system reads a permit the child refused as in force; "active"
    otherwise, including a consent whose period starts later (its provision.period says when) and one overridden
    on part of its scope only, whose nested provisions say that part (_provisions_against; break11d finding 9)."""
    if reading.timing is not None and reading.timing[0] != rules.Miss.NOT_YET_IN_FORCE:
        return "inactive"
    return "inactive" if reading.overridden else "active"


def _provisions_against(reading: selectors.Reading) -> list[dict[str, Any]]:
    """FHIR R4 Consent.provision.provision: "exceptions to the base policy": for a decision another prevails
    against on part of its scope (a competent child's refusal of one agency out of the two a parent consented
    to), that part, of the opposite type (deny within a permit, permit within a deny), each part a whole
    of purposes x classes x actors (consent.rules.share_parts). Empty when nothing prevails against it in part.
    A nested permit only where a decision in force permits: a parent's refusal a competent child's consent
    superseded, once that consent is withdrawn or ended, is set aside there but nobody permits the share (DESIGN
    2.4: a withdrawal takes effect for every future disclosure; break11j finding 2). A nested deny within a
    permit stands wherever the permit does not cover the share, whoever's decision set it aside."""
    if not reading.partly_overridden:
        return []
    record = reading.record
    kind = "deny" if record.decision == Decision.GIVEN else "permit"
    provisions = []
    for part in reading.parts_against if kind == "deny" else reading.parts_prevailed_in_force:
        actors = [
            {
                "role": _ircp(),
                "reference": {
                    "reference": f"Organization/{agency}",
                    "display": reading.names.get(agency, f"Agency {agency}"),
                },
            }
            for agency in sorted(a for a in part.agencies if a is not None)
        ]
        if None in part.agencies:
            actors += _signatory_actors(record)
        provisions.append(
            {
                "type": kind,
                "actor": actors,
                "purpose": [_purpose(record, p) for p in record.purposes if p in part.purposes],
                "class": [_tier(tier) for tier in record.tiers if tier in part.tiers],
            }
        )
    return provisions


def _signatory_actors(record: ConsentRecord) -> list[dict[str, Any]]:
    """An "every signatory" consent's actors: one information recipient per agency it covers, the protocol's
    signatories when it was decided (consent.selectors.signatories_when_decided; break11h finding 3), as a named
    recipient is one."""
    return [
        {"role": _ircp(), "reference": {"reference": f"Organization/{agency['id']}", "display": agency["name"]}}
        for agency in selectors.signatories_when_decided(record)
    ]


def _purpose(record: ConsentRecord, purpose: str) -> dict[str, str]:
    return {
        "system": f"{_system()}/protocol-versions/{record.protocol_version_id}/purposes",
        "code": _purpose_code(record, purpose),
        "display": purpose,
    }


def _tier(tier: str) -> dict[str, str]:
    return {"system": f"{_system()}/tiers", "code": tier, "display": _TIER_DISPLAY.get(tier, tier)}


def _period(record: ConsentRecord, age: int, rebutted_from: date | None) -> dict[str, str]:
    """provision.period: from `valid_from` to the last day covered (consent.rules.last_day_in_force). FHIR's
    Period.end "includes any matching date/time", so a withdrawal (or a parent's decision lapsing, or the child's
    own decision rebutted by a finding that they are not competent: `rebutted_from`, rules.rebutted_on; breakt11l
    F3) on day D ends the period on D - 1. A consent withdrawn (or rebutted) on or before the day it started
    covered no day at all: its period is the one instant of that day's start (FHIR per-1 wants start <= end), so
    no day is within it."""
    withdrawal = record.withdrawal_or_none()
    last = rules.last_day_in_force(
        valid_until=record.valid_until,
        withdrawn_on=withdrawal.withdrawn_on if withdrawal else None,
        lapses_on=_lapses_on(record, age),
        rebutted_from=rebutted_from,
    )
    if last is None:
        return {"start": record.valid_from.isoformat()}
    if last < record.valid_from:
        instant = timezone.make_aware(datetime.combine(record.valid_from, time.min)).isoformat()
        return {"start": instant, "end": instant}
    return {"start": record.valid_from.isoformat(), "end": last.isoformat()}


def _purpose_code(record: ConsentRecord, purpose: str) -> str:
    permitted = list(record.protocol_version.permitted_purposes)
    return str(permitted.index(purpose) + 1) if purpose in permitted else "other"


def consent_resource_data(record: ConsentRecord, today: date) -> dict[str, Any]:
    """The Consent resource of `record` as FHIR JSON data (its `recipients`, `withdrawal`, `evidence`,
    `protocol`, `protocol_version`, `recorded_by_agency` loaded by the caller), read on `today` among the child's
    decisions (consent.selectors.record_reading: two statements). The child's age is the one by the date of birth
    recorded now (consent.selectors.decision_age: a corrected date of birth corrects it; break11d finding 8)."""
    reading = selectors.record_reading(record, today)
    if record.given_by == GivenBy.CHILD:
        performer = {"reference": f"Patient/{record.child_id}", "display": f"The child ({reading.age})"}
    else:
        performer = {
            "type": "RelatedPerson",
            "display": f"{record.parent_name} ({record.parent_relationship}, a person with parental responsibility)",
        }
    if record.all_signatories:
        actors = _signatory_actors(record)
    else:
        actors = [
            {"role": _ircp(), "reference": {"reference": f"Organization/{agency.pk}", "display": agency.name}}
            for agency in record.recipients.all()
        ]
    period = _period(record, reading.age, reading.rebutted_from)
    data: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(record.pk),
        "status": _status(reading),
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]},
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "IDSCL",
                        "display": "information disclosure",
                    }
                ]
            },
            {
                "coding": [
                    {"system": f"{_system()}/consent-form", "code": record.form, "display": record.get_form_display()}
                ]
            },
        ],
        "patient": {"reference": f"Patient/{record.child_id}"},
        "dateTime": record.obtained_on.isoformat(),
        "performer": [performer],
        "organization": [
            {"reference": f"Organization/{record.recorded_by_agency_id}", "display": record.recorded_by_agency.name}
        ],
        "policy": [
            {
                "authority": _system(),
                "uri": f"{_system()}/protocols/{record.protocol_id}/versions/{record.protocol_version.number}",
            }
        ],
        "provision": {
            "type": "permit" if record.decision == Decision.GIVEN else "deny",
            "period": period,
            "actor": actors,
            "purpose": [_purpose(record, p) for p in record.purposes],
            "class": [_tier(tier) for tier in record.tiers],
        },
    }
    if against := _provisions_against(reading):
        data["provision"]["provision"] = against
    evidence = getattr(record, "evidence", None) if _has_evidence(record) else None
    if evidence is not None:
        data["sourceAttachment"] = {
            "contentType": evidence.content_type,
            "title": evidence.original_name,
            "size": evidence.size,
            "creation": evidence.uploaded_at.isoformat(),
        }
    return data


def _has_evidence(record: ConsentRecord) -> bool:
    try:
        record.evidence  # noqa: B018 - a reverse one-to-one raises when there is none
    except ConsentRecord.evidence.RelatedObjectDoesNotExist:
        return False
    return True


def _ircp() -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP",
                "display": "information recipient",
            }
        ]
    }


def consent_resource(record: ConsentRecord, today: date) -> Consent:
    """The FHIR Consent of `record`, built (and so validated) by the fhir.resources model."""
    return Consent.model_validate(consent_resource_data(record, today))


def consent_json(record: ConsentRecord, today: date) -> str:
    """The FHIR JSON of `record` (application/fhir+json)."""
    return str(consent_resource(record, today).model_dump_json(by_alias=True, exclude_none=True))

"""Issue 12 (WP1 b): sanctions agreed after a breach (Haringey 6.6) are enforced by the access policy, not just
written down (DESIGN 2.5). The pure rule (agencies.rules.sanction_refusal) by hand and by property; the one
question the disclosures ask (agencies.policy.sharing_refusal) against the database: standing, the ICO sharing
gate, then the sanctions, in one query per agency object; and the table's constraints."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from agencies.models import Agency, AgencySanction
from agencies.policy import forget_sanctions, sharing_refusal
from agencies.rules import SanctionFacts, sanction_in_force, sanction_reaches, sanction_refusal
from agencies.services import agency_status_change, agency_update
from tests.factories import SYSTEM, World

TODAY = date(2026, 11, 30)
SENSITIVE = SanctionFacts("sensitive_tier", "send", TODAY, TODAY + timedelta(days=90), "Sent a file unencrypted")
PROTOCOL = SanctionFacts("protocol", "both", TODAY - timedelta(days=5), None, "Repeated breach", "BR-2026-07")


def refusal(
    *sanctions: SanctionFacts, tier: str = "sensitive", direction: str = "send", on: date = TODAY
) -> str | None:
    return sanction_refusal(sanctions, tier=tier, direction=direction, on=on, agency_name="Hill School")


@pytest.mark.parametrize(
    ("sanction", "tier", "direction", "on", "refused"),
    [
        (SENSITIVE, "sensitive", "send", TODAY, True),  # the first day counts
        (SENSITIVE, "sensitive", "send", TODAY + timedelta(days=89), True),
        (SENSITIVE, "sensitive", "send", TODAY + timedelta(days=90), False),  # lifted on until_on
        (SENSITIVE, "sensitive", "send", TODAY - timedelta(days=1), False),  # not yet
        (SENSITIVE, "minimum", "send", TODAY, False),  # the minimum data still flows
        (SENSITIVE, "sensitive", "receive", TODAY, False),  # it still receives
        (PROTOCOL, "minimum", "send", TODAY, True),
        (PROTOCOL, "minimum", "receive", TODAY, True),
        (PROTOCOL, "sensitive", "receive", TODAY + timedelta(days=3650), True),  # open-ended
        (PROTOCOL, "sensitive", "send", TODAY - timedelta(days=6), False),
        (SanctionFacts("sensitive_tier", "receive", TODAY, None), "sensitive", "receive", TODAY, True),
        (SanctionFacts("sensitive_tier", "both", TODAY, None), "sensitive", "send", TODAY, True),
        (SanctionFacts("protocol", "receive", TODAY, None), "minimum", "send", TODAY, False),
    ],
)
def test_sanction_refusal_by_hand(sanction: SanctionFacts, tier: str, direction: str, on: date, refused: bool) -> None:
    assert (refusal(sanction, tier=tier, direction=direction, on=on) is not None) is refused


def test_the_refusal_names_the_sanction_and_when_it_is_lifted() -> None:
    assert refusal(SENSITIVE) == (
        "Hill School is suspended by a sanction from 30 November 2026 until 28 February 2027, so it cannot send "
        "detailed and sensitive information. The reason given: Sent a file unencrypted."
    )
    assert refusal(PROTOCOL, tier="minimum", direction="receive") == (
        "Hill School is suspended by a sanction (breach BR-2026-07) from 25 November 2026 until the partnership "
        "lifts the sanction, so it cannot receive any information under the protocol. The reason "
        "given: Repeated breach."
    )
    # Of two that stop it, the one that lasts longest decides when it may again.
    assert "until the partnership lifts" in (refusal(SENSITIVE, PROTOCOL) or "")
    assert "}'s" not in (refusal(SENSITIVE) or "")


def test_unknown_tier_or_direction_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown tier"):
        refusal(SENSITIVE, tier="everything")
    with pytest.raises(ValueError, match="Unknown direction"):
        refusal(SENSITIVE, direction="both")


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
facts = st.builds(
    lambda scope, direction, start, length, reason: SanctionFacts(
        scope, direction, start, None if length is None else start + timedelta(days=length), reason
    ),
    st.sampled_from(["sensitive_tier", "protocol"]),
    st.sampled_from(["send", "receive", "both"]),
    dates,
    st.none() | st.integers(min_value=1, max_value=2000),
    st.text(max_size=40),
)


@given(
    sanctions=st.lists(facts, max_size=5),
    tier=st.sampled_from(["minimum", "sensitive"]),
    direction=st.sampled_from(["send", "receive"]),
    on=dates,
)
def test_sanction_refusal_is_refused_exactly_when_one_sanction_in_force_reaches(
    sanctions: list[SanctionFacts], tier: str, direction: str, on: date
) -> None:
    stopping = [
        s for s in sanctions if sanction_in_force(s, on) and sanction_reaches(s, tier=tier, direction=direction)
    ]
    why = refusal(*sanctions, tier=tier, direction=direction, on=on)
    assert (why is not None) == bool(stopping)
    # The definitions, spelled out independently of the rule's helpers.
    expected = any(
        s.from_on <= on
        and (s.until_on is None or on < s.until_on)
        and s.direction in {"both", direction}
        and (s.scope == "protocol" or tier == "sensitive")
        for s in sanctions
    )
    assert bool(stopping) == expected
    # A sensitive-tier sanction never stops the minimum data; more sanctions never allow more.
    if tier == "minimum" and all(s.scope == "sensitive_tier" for s in sanctions):
        assert why is None
    if why is not None:
        assert refusal(*sanctions, SENSITIVE, tier=tier, direction=direction, on=on) is not None


# --- Against the database -------------------------------------------------------------------------------------


def can_share(agency: Agency) -> Agency:
    agency_update(
        actor=SYSTEM,
        agency=agency,
        ico_registration_number=f"ZA{100000 + agency.pk % 900000:06d}",
        ico_registration_expires_on=date.today() + timedelta(days=300),
    )
    return Agency.objects.get(pk=agency.pk)


def sanction(agency: Agency, **values: object) -> AgencySanction:
    values = {
        "scope": "sensitive_tier",
        "direction": "send",
        "from_on": date.today(),
        "reason": "Sent a file unencrypted",
        **values,
    }
    return AgencySanction.objects.create(agency=agency, **values)


@pytest.mark.django_db
def test_sharing_refusal_reads_standing_the_ico_gate_and_sanctions(world: World) -> None:
    today = date.today()
    home = Agency.objects.get(pk=world.home.pk)
    # No ICO registration recorded: it takes part, but may not send or receive (Haringey 4.1-4.2).
    assert "no ICO registration" in (sharing_refusal(home, tier="minimum", direction="send", on=today) or "")
    home = can_share(home)
    assert sharing_refusal(home, tier="sensitive", direction="send", on=today) is None
    sanction(home, until_on=today + timedelta(days=30), breach_reference="BR-1")
    home = Agency.objects.get(pk=home.pk)
    why = sharing_refusal(home, tier="sensitive", direction="send", on=today)
    assert why is not None and "(breach BR-1)" in why and home.name in why and "cannot send detailed" in why
    assert sharing_refusal(home, tier="minimum", direction="send", on=today) is None
    assert sharing_refusal(home, tier="sensitive", direction="receive", on=today) is None
    assert sharing_refusal(home, tier="sensitive", direction="send", on=today + timedelta(days=30)) is None
    # Suspended by the partnership: the standing rule answers first, naming what lifts it.
    agency_status_change(actor=SYSTEM, agency=home, to_status="suspended", reason="Breach under review")
    home = Agency.objects.get(pk=home.pk)
    why = sharing_refusal(home, tier="minimum", direction="receive", on=today)
    assert why is not None and "suspended from the partnership" in why and "reinstates" in why


@pytest.mark.django_db
def test_sharing_refusal_asks_the_database_once_per_agency(world: World) -> None:
    home = can_share(world.home)
    sanction(home, scope="protocol", direction="both")
    home = Agency.objects.get(pk=home.pk)
    today = date.today()
    with CaptureQueriesContext(connection) as queries:
        answers = [
            sharing_refusal(home, tier=tier, direction=direction, on=today)  # type: ignore[arg-type]
            for tier in ("minimum", "sensitive")
            for direction in ("send", "receive")
        ]
    assert len(queries.captured_queries) == 1
    assert all(answer is not None for answer in answers)
    # A sanction inserted later in the same request is seen once the cache is forgotten (the breaches' service).
    other = can_share(world.other)
    assert sharing_refusal(other, tier="minimum", direction="send", on=today) is None
    sanction(other, scope="protocol", direction="send")
    forget_sanctions(other)
    assert sharing_refusal(other, tier="minimum", direction="send", on=today) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"until_on": date(2026, 11, 30), "from_on": date(2026, 11, 30)}, "agency_sanction_until_after_from"),
        ({"until_on": date(2026, 11, 29), "from_on": date(2026, 11, 30)}, "agency_sanction_until_after_from"),
        ({"scope": "everything"}, "agency_sanction_scope_known"),
        ({"direction": "sideways"}, "agency_sanction_direction_known"),
        ({"reason": ""}, "agency_sanction_has_reason"),
        ({"reason": "x" * 2001}, "agency_sanction_reason_length"),
        ({"from_on": date(1999, 12, 31)}, "agency_sanction_from_on_plausible"),
        ({"until_on": date(9999, 12, 31)}, "agency_sanction_until_on_plausible"),
    ],
)
def test_the_database_refuses_an_impossible_sanction(world: World, values: dict[str, object], constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        sanction(world.home, **values)

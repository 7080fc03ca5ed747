"""The deadline sweeps of the breach procedure (issue 14; Haringey 6.1-6.6, 11.1(b); UK GDPR art. 33; DESIGN 3.3).

Obligations: each open obligation is reminded at `remind_at` (two working days before its due date; the ICO's 24
hours before), reminded again at `remind_again_at` (on the due day; the ICO's 4 hours before), and once past `due_at`
it becomes overdue and is escalated, once. Sanctions: each agencies.AgencySanction whose `until_on` has come is
recorded as ended, once.

Each phase is **one statement** whatever the number of rows (DESIGN 5: 100,000 obligations due, <= 10 statements):

    WITH changed AS (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...)  -- the stamp
       , groups / told_of AS (...)          -- the steps by who answers for them; who is told of which group
       , firsts / ... / digests AS (...)    -- per person: how many, the first DIGEST_LINES soonest due, worded
       , told AS (INSERT INTO isp_portal_notification ... ON CONFLICT DO NOTHING RETURNING id)
       , audited AS (INSERT INTO audit_event ... RETURNING id)  -- one event per step
    SELECT counts

The stamp (reminded_at, reminded_again_at, escalated_at/state, ended_recorded_at) is set in the statement that
decides to tell, only where it is still unset, skipping rows another sweep holds: beat running twice, or two
workers, each change a row once, and the notifications have unique keys (notification_once_per_key) besides. Rows
an earlier phase has taken are not taken by a later one (an overdue obligation is escalated, not reminded).

**One digest per person, phase and run** (issue 14 "Speed"), not a notice per step and person: when many steps
fall due at once a person gets one notice (and one email) saying how many, naming the first DIGEST_LINES soonest
due and "and K more.", linking to the dashboard panel "Breach steps for you" (an escalation: to the breach list,
as the panel lists the reader's own steps); one step alone reads, and is keyed, as the single notice always did.
The obligation's stamp stays the exactly-once record of each reminder and escalation, and its audit event (one per
step, `object_id` the obligation) what answers "was this step reminded, when". Measured at 100,000 steps all due
(benchmarks/README.md, "2026-12-01 breach sweep"): a notice per step and person was 233,331 rows, about half the
statement's time (the insert with its unique arbiter and four indexes, the words of each); the digests are 601 rows
and a few hundred ms, the rest being the stamp (the bare UPDATE: every index of the row) and the audit events.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from agencies.models import AgencySanction, Role
from audit.services import audit_insert_sql
from breaches.models import Obligation, ObligationKind, ObligationState
from isp_portal.notifications import notifications_insert_sql, notifications_queue_email
from isp_portal.policy import SystemActor
from isp_portal.sweeps import transition_due_sql

SWEEP_ACTOR_LABEL = "breach deadlines sweep"
# Rows one tick takes per phase; the rest wait for the next tick. The benchmark (benchmarks/breach_sweep.py) times
# a tick of this many.
BATCH = 100_000

# What each step is called in a reminder, and the clause that sets it (user-facing: "the protocol, section 6.1").
STEP_WORDS: dict[str, str] = {
    ObligationKind.NOTIFY_PARTNERS.value: "telling the other partner agencies (the protocol, section 6.1)",
    ObligationKind.BREACH_REPORT.value: "the report with the actions taken (the protocol, section 6.2)",
    ObligationKind.PARTNERS_MEETING.value: "the partners' meeting (the protocol, section 6.3)",
    ObligationKind.MINUTES_CIRCULATED.value: "circulating the minutes (the protocol, section 6.6)",
    ObligationKind.ICO_DECISION.value: "deciding whether to tell the ICO (UK GDPR article 33)",
    ObligationKind.ICO_NOTIFIED.value: "telling the ICO (UK GDPR article 33)",
    ObligationKind.INDEMNITY_RESPONSE.value: "the written answer to the indemnity notice (the protocol, section 11.1)",
}
assert set(STEP_WORDS) == set(ObligationKind.values)
HOUR_CLOCKS = (ObligationKind.ICO_DECISION.value, ObligationKind.ICO_NOTIFIED.value)
SPEAKING_ROLES = [Role.DESIGNATED_MANAGER.value, Role.AGENCY_ADMIN.value]
# A digest names this many steps, soonest due first, then "and K more." (the dashboard panel lists them all).
DIGEST_LINES = 10
DIGEST_LINE = "- %1$s, %2$s, due by %3$s"
DIGEST_MORE = "\nand %s more."
# The dashboard panel "Breach steps for you" (breaches.dashboard; templates/dashboard/dashboard.html's panel ids).
DASHBOARD_PANEL = "/#panel-breach-steps"


@dataclass(frozen=True)
class Phase:
    """One question of the obligations sweep: which rows, what stamp, what to say, to whom."""

    name: str  # in the notification key and the result
    audit_kind: str
    subject: str  # format(): %1$s the step, %2$s what it is about, %3$s when it is due
    body: str
    escalation: bool  # True: the partnership admins and the responsible agency's Caldicott guardian and DPO
    # The digest of several steps: format(): %1$s how many, %2$s when the first is due; the body's %1$s how many,
    # %2$s the list (one line a step, up to DIGEST_LINES), %3$s "and K more." or nothing.
    many_subject: str = ""
    many_body: str = ""
    many_link: str = ""


PHASES: tuple[Phase, ...] = (
    # Overdue first: a row past its due time is escalated, never reminded (the reminder phases need due_at > now).
    Phase(
        name="overdue",
        audit_kind="breach.obligation.overdue",
        subject="Overdue: %1$s, %2$s",
        body=(
            "The step %1$s of %2$s was due by %3$s and has not been recorded as done. It is now overdue: the "
            "partnership admins and the Caldicott guardian of the agency responsible are told. Record it as done "
            "as soon as it is; how late it was is shown on the timeline."
        ),
        escalation=True,
        many_subject="Overdue: %1$s breach steps, the first due by %2$s",
        many_body=(
            "These %1$s steps of the breach procedure were due and have not been recorded as done:\n\n%2$s%3$s\n\n"
            "They are now overdue: the partnership admins and the Caldicott guardian of the agency responsible are "
            "told. Each should be recorded as done as soon as it is; how late it was is shown on the breach's "
            "timeline. Every breach is in the breach list."
        ),
        many_link="/breaches/",
    ),
    Phase(
        name="reminder-2",
        audit_kind="breach.obligation.remind_again",
        subject="Due %3$s: %1$s, %2$s",
        body=(
            "The step %1$s of %2$s is due by %3$s. It has not been recorded as done yet. If it is not done by then, "
            "it is escalated to the partnership admins and the Caldicott guardian."
        ),
        escalation=False,
        many_subject="Due soon: %1$s breach steps, the first by %2$s",
        many_body=(
            "These %1$s steps of the breach procedure are due and have not been recorded as done yet:\n\n%2$s%3$s\n\n"
            "A step not done by its due time is escalated to the partnership admins and the Caldicott guardian. "
            'They are listed, soonest first, under "Breach steps for you" on your dashboard.'
        ),
        many_link=DASHBOARD_PANEL,
    ),
    Phase(
        name="reminder-1",
        audit_kind="breach.obligation.remind",
        subject="Coming up: %1$s, %2$s, due %3$s",
        body="The step %1$s of %2$s is due by %3$s. Record it in the portal once it is done.",
        escalation=False,
        many_subject="Coming up: %1$s breach steps, the first due by %2$s",
        many_body=(
            "These %1$s steps of the breach procedure are coming up:\n\n%2$s%3$s\n\n"
            'Record each in the portal once it is done. They are listed, soonest first, under "Breach steps for '
            'you" on your dashboard.'
        ),
        many_link=DASHBOARD_PANEL,
    ),
)


@dataclass(frozen=True)
class ObligationSweepResult:
    overdue: int = 0
    reminded_again: int = 0
    reminded: int = 0
    notified: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _actor() -> SystemActor:
    return SystemActor(SWEEP_ACTOR_LABEL)


def _due(phase: Phase, now: datetime) -> tuple[QuerySet[Obligation], dict[str, Any]]:
    """The open rows phase `phase` takes at `now`, and the stamp it sets on them."""
    open_rows = Obligation.objects.filter(state=ObligationState.OPEN)
    if phase.name == "overdue":
        # Past due_at: the end of the due day (working-day steps), 72 elapsed hours (the ICO).
        return open_rows.filter(due_at__lte=now, escalated_at__isnull=True), {
            "state": ObligationState.OVERDUE.value,
            "escalated_at": now,
        }
    if phase.name == "reminder-2":
        return open_rows.filter(reminded_again_at__isnull=True, remind_again_at__lte=now, due_at__gt=now), {
            "reminded_again_at": now
        }
    # The first reminder only while the second is not due yet: a tick that comes late sends the later one alone.
    return open_rows.filter(reminded_at__isnull=True, remind_at__lte=now, remind_again_at__gt=now, due_at__gt=now), {
        "reminded_at": now
    }


# The people who may be told: active memberships of active people, never a system account (DESIGN 4).
_PEOPLE = "JOIN agencies_user u ON u.id = m.user_id AND u.is_active AND NOT u.is_system"
_ADMINS = f"""
admins AS (
    SELECT DISTINCT m.user_id FROM agencies_membership m {_PEOPLE}
    WHERE m.is_active AND m.roles @> ARRAY[%s]::varchar[]
)"""  # noqa: S608 - constants only

# Who is told of which steps, by the group of steps they are told of: the steps are grouped by who answers for
# them (`grp`: the agency responsible; 0, no agency's id, the partnership's), so the people are joined on the
# groups (a few hundred rows), never on the steps one by one (a pair per step and person: 233,331 at 100,000 steps,
# and as many more per partnership admin). Each (person, group) is once: a membership is one per person and agency
# (membership_one_per_agency), the partnership's steps go to the admins alone, and an escalation's admin is not told
# again as a guardian.
#
# Reminders: the people responsible (breaches.services.breaches._speakers / _partnership_admins): the responsible
# agency's designated managers, agency admins, Caldicott guardian and DPO; the partnership admins when the
# partnership is responsible (responsible_agency null).
_RESPONSIBLE = f"""
told_of AS (
    SELECT m.user_id, g.grp FROM groups g
    JOIN agencies_membership m ON m.agency_id = g.grp {_PEOPLE}
    WHERE m.is_active AND (m.roles && %s::varchar[] OR m.is_caldicott_guardian OR m.is_data_protection_officer)
    UNION ALL
    SELECT a.user_id, g.grp FROM groups g CROSS JOIN admins a WHERE g.grp = 0
)"""  # noqa: S608 - constants only

# Escalation (issue 14: "overdue obligations escalate to the partnership admins and the Caldicott guardian"): the
# partnership admins (of every group), and the responsible agency's Caldicott guardian and DPO.
_ESCALATION = f"""
told_of AS (
    SELECT a.user_id, g.grp FROM groups g CROSS JOIN admins a
    UNION ALL
    SELECT m.user_id, g.grp FROM groups g
    JOIN agencies_membership m ON m.agency_id = g.grp {_PEOPLE}
    WHERE m.is_active AND (m.is_caldicott_guardian OR m.is_data_protection_officer)
          AND m.user_id NOT IN (SELECT user_id FROM admins)  -- an admin is told of every step already
)"""  # noqa: S608 - constants only

# One digest per person per phase per run (issue 14 "Speed": see the module's docstring): how many steps (the sum
# of their groups'), and the first DIGEST_LINES soonest due, which are among the first DIGEST_LINES of each of
# their groups (ranked once, on the steps), worded for those only. The key names the first step of the digest,
# which no other run can take again (its stamp is set in this statement): two sweeps racing write two digests,
# never one swallowing the other's steps; one step alone keeps the key, subject, body and link of the single
# notice it was before.
_GROUPS = """
groups AS (
    SELECT coalesce(c.responsible_agency_id, 0) AS grp, count(*) AS steps FROM changed c GROUP BY 1
)"""
_DIGESTS = """
firsts AS (
    SELECT * FROM (
        SELECT c.*, coalesce(c.responsible_agency_id, 0) AS grp,
               row_number() OVER (PARTITION BY coalesce(c.responsible_agency_id, 0) ORDER BY c.due_at, c.id) AS place
        FROM changed c
    ) numbered WHERE numbered.place <= %s
),
totals AS (
    SELECT t.user_id, sum(g.steps)::bigint AS steps FROM told_of t JOIN groups g ON g.grp = t.grp GROUP BY t.user_id
),
ranked AS (
    SELECT f.*, t.user_id, s.steps,
           row_number() OVER (PARTITION BY t.user_id ORDER BY f.due_at, f.id) AS line
    FROM told_of t JOIN firsts f ON f.grp = t.grp JOIN totals s ON s.user_id = t.user_id
),
listed AS (
    SELECT c.user_id, c.steps, c.line, c.id,
           (%s::jsonb ->> c.kind) AS step,
           CASE WHEN c.breach_id IS NOT NULL
                THEN format(%s, 'BR-' || lpad(b.register_number::text, 6, '0'), alleged.name)
                ELSE format(%s, suffering.name) END AS about,
           CASE WHEN c.kind = ANY(%s)
                THEN to_char(c.due_at AT TIME ZONE 'Europe/London', 'HH24:MI "on" FMDD FMMonth YYYY')
                ELSE 'the end of ' || to_char(c.due_on, 'FMDD FMMonth YYYY') END AS due_words,
           CASE WHEN c.breach_id IS NOT NULL THEN '/breaches/' || c.breach_id || '/'
                ELSE '/breaches/indemnity/' || c.indemnity_notice_id || '/' END AS link
    FROM ranked c
    LEFT JOIN breaches_breach b ON b.id = c.breach_id
    LEFT JOIN agencies_agency alleged ON alleged.id = b.alleged_agency_id
    LEFT JOIN breaches_indemnitynotice n ON n.id = c.indemnity_notice_id
    LEFT JOIN agencies_agency suffering ON suffering.id = n.suffering_agency_id
    WHERE c.line <= %s
),
digests AS (
    SELECT l.user_id, l.steps,
           min(l.id) FILTER (WHERE l.line = 1) AS first_id,
           min(l.link) FILTER (WHERE l.line = 1) AS first_link,
           min(l.step) FILTER (WHERE l.line = 1) AS first_step,
           min(l.about) FILTER (WHERE l.line = 1) AS first_about,
           min(l.due_words) FILTER (WHERE l.line = 1) AS first_due,
           string_agg(format(%s, l.step, l.about, l.due_words), E'\\n' ORDER BY l.line) AS lines
    FROM listed l
    GROUP BY l.user_id, l.steps
),
messages AS (
    SELECT g.user_id AS recipient_id, %s || g.first_id || '-' || g.user_id AS key,
           CASE WHEN g.steps = 1 THEN format(%s, g.first_step, g.first_about, g.first_due)
                ELSE format(%s, g.steps, g.first_due) END AS subject,
           CASE WHEN g.steps = 1 THEN format(%s, g.first_step, g.first_about, g.first_due)
                ELSE format(%s, g.steps, g.lines,
                            CASE WHEN g.steps > %s THEN format(%s, g.steps - %s) ELSE '' END) END AS body,
           CASE WHEN g.steps = 1 THEN g.first_link ELSE %s END AS link,
           %s::timestamptz AS created_at
    FROM digests g
)"""


def _obligation_statement(phase: Phase, *, now: datetime, limit: int) -> tuple[str, list[Any]] | None:
    queryset, stamp = _due(phase, now)
    changed = transition_due_sql(
        queryset.order_by("due_at", "id"),
        set_values=stamp,
        returning=("id", "kind", "breach", "indemnity_notice", "responsible_agency", "due_on", "due_at"),
        limit=limit,
    )
    if changed is None:
        return None
    changed_sql, changed_params = changed
    audit_sql, audit_params = audit_insert_sql(kind=phase.audit_kind, actor=_actor(), source="events")
    sql = f"""
WITH changed AS ({changed_sql}),
{_ADMINS},
{_GROUPS},
{_ESCALATION if phase.escalation else _RESPONSIBLE},
{_DIGESTS},
told AS ({notifications_insert_sql("messages")}),
events AS (
    SELECT %s::timestamptz AS occurred_at, 'breaches.obligation' AS object_type, c.id AS object_id,
           'obligation ' || c.kind || ' of ' || CASE WHEN c.breach_id IS NOT NULL THEN 'breach ' || c.breach_id
                ELSE 'indemnity notice ' || c.indemnity_notice_id END AS object_label,
           jsonb_build_object('breach', c.breach_id, 'indemnity_notice', c.indemnity_notice_id,
                              'obligation', c.kind, 'due_at', c.due_at) AS detail
    FROM changed c
),
audited AS ({audit_sql})
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM told), (SELECT count(*) FROM audited)
"""  # noqa: S608 - the fragments are built here and in audit/notifications from constants; values are parameters
    recipient_params: list[Any] = [SPEAKING_ROLES] if not phase.escalation else []
    params = [
        *changed_params,
        Role.PARTNERSHIP_ADMIN.value,
        *recipient_params,
        DIGEST_LINES,
        json.dumps(STEP_WORDS),
        "breach %s by %s",
        "the indemnity notice from %s",
        list(HOUR_CLOCKS),
        DIGEST_LINES,
        DIGEST_LINE,
        f"breach-obligation-{phase.name}-",
        phase.subject,
        phase.many_subject,
        phase.body,
        phase.many_body,
        DIGEST_LINES,
        DIGEST_MORE,
        DIGEST_LINES,
        phase.many_link,
        now,
        now,
        *audit_params,
    ]
    return sql, params


def _run(statement: tuple[str, list[Any]] | None) -> tuple[int, int]:
    if statement is None:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        changed, told, audited = cursor.fetchone()
    assert audited == changed, (audited, changed)
    if told:
        notifications_queue_email()
    return int(changed), int(told)


@transaction.atomic
def obligations_phase_sweep(*, phase: Phase, now: datetime, limit: int = BATCH) -> tuple[int, int]:
    """Run one phase of the obligations sweep at `now` (one statement): stamp the due rows, tell the people, audit
    each. Returns (obligations changed, notifications created)."""
    return _run(_obligation_statement(phase, now=now, limit=limit))


def breach_obligations_sweep(*, now: datetime, limit: int = BATCH) -> ObligationSweepResult:
    """The obligations sweep (Celery beat: breaches.obligations_sweep): escalate the overdue, then the second
    reminders, then the first, each phase in its own transaction and one statement (DESIGN 3.3)."""
    counts: dict[str, tuple[int, int]] = {}
    for phase in PHASES:
        counts[phase.name] = obligations_phase_sweep(phase=phase, now=now, limit=limit)
    return ObligationSweepResult(
        overdue=counts["overdue"][0],
        reminded_again=counts["reminder-2"][0],
        reminded=counts["reminder-1"][0],
        notified=sum(told for _, told in counts.values()),
    )


# --- Sanctions end by themselves ----------------------------------------------------------------------------------

_SANCTION_SUBJECT = "The suspension of %1$s has been lifted"
_SANCTION_BODY = (
    "The suspension of %1$s from %2$s (%3$s), agreed after breach %4$s, ended on %5$s. From that day the agency "
    "may share again as the protocol allows."
)


@transaction.atomic
def sanctions_end_sweep(*, now: datetime, today: date, limit: int = BATCH) -> tuple[int, int]:
    """Record, once, each agency sanction whose end (`until_on`, the day it is lifted) has come (issue 14:
    "ends by itself at its end date ... recorded in the audit trail"): the stamp `ended_recorded_at`, an audit
    event agency.sanction.end, and the agency's designated managers, agency admins, Caldicott guardian and DPO and
    the partnership admins told. The sharing refusal (agencies.policy.sharing_refusal) already stopped at
    until_on; this is the record of it. One statement. Returns (sanctions, notifications)."""
    changed = transition_due_sql(
        AgencySanction.objects.filter(
            Q(until_on__isnull=False) & Q(until_on__lte=today) & Q(ended_recorded_at__isnull=True)
        ).order_by("until_on", "id"),
        set_values={"ended_recorded_at": now},
        returning=("id", "agency", "scope", "direction", "until_on", "breach_reference"),
        limit=limit,
    )
    if changed is None:
        return 0, 0
    changed_sql, changed_params = changed
    audit_sql, audit_params = audit_insert_sql(kind="agency.sanction.end", actor=_actor(), source="events")
    sql = f"""
WITH changed AS ({changed_sql}),
described AS (
    SELECT c.id, c.agency_id, c.until_on, a.name AS agency_name,
           (%s::jsonb ->> c.scope) AS scope_words, (%s::jsonb ->> c.direction) AS direction_words,
           coalesce(nullif(c.breach_reference, ''), 'of protocol') AS reference
    FROM changed c JOIN agencies_agency a ON a.id = c.agency_id
),
{_ADMINS},
recipients AS (
    SELECT d.*, m.user_id FROM described d
    JOIN agencies_membership m ON m.agency_id = d.agency_id {_PEOPLE}
    WHERE m.is_active AND (m.roles && %s::varchar[] OR m.is_caldicott_guardian OR m.is_data_protection_officer)
    UNION ALL
    SELECT d.*, a.user_id FROM described d CROSS JOIN admins a
),
messages AS (
    SELECT r.user_id AS recipient_id, 'sanction-ended-' || r.id || '-' || r.user_id AS key,
           format(%s, r.agency_name) AS subject,
           format(%s, r.agency_name, r.scope_words, r.direction_words, r.reference,
                  to_char(r.until_on, 'FMDD FMMonth YYYY')) AS body,
           '/agencies/' || r.agency_id || '/' AS link, %s::timestamptz AS created_at
    FROM recipients r
),
told AS ({notifications_insert_sql("messages")}),
events AS (
    SELECT %s::timestamptz AS occurred_at, 'agencies.agencysanction' AS object_type, d.id AS object_id,
           'sanction ' || d.id || ' of agency ' || d.agency_id AS object_label,
           jsonb_build_object('agency', d.agency_id, 'until_on', d.until_on, 'breach_reference', d.reference)
               AS detail
    FROM described d
),
audited AS ({audit_sql})
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM told), (SELECT count(*) FROM audited)
"""  # noqa: S608 - as above
    from agencies.models import SanctionDirection, SanctionScope

    params = [
        *changed_params,
        json.dumps({scope.value: str(scope.label).lower() for scope in SanctionScope}),
        json.dumps({direction.value: str(direction.label).lower() for direction in SanctionDirection}),
        Role.PARTNERSHIP_ADMIN.value,
        SPEAKING_ROLES,
        _SANCTION_SUBJECT,
        _SANCTION_BODY,
        now,
        now,
        *audit_params,
    ]
    return _run((sql, params))

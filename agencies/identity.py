"""Who the signed-in user is, in at most one SQL statement per request and none when cached (issue 9).

Every signed-in page needs the same facts before it does its own work: the user (and that the session is still
theirs: the session hash, which carries `session_stamp`), whether the session passed two-factor with one of
their confirmed devices, their active memberships with their agencies (the `Principal` the policy asks), and
until when their information-sharing training counts (the training gate before any child record).
Loaded the plain way that is four statements a request (session, user, device, memberships); here:

* the session lives in the cache, backed by the database (`cached_db`): no statement to read it;
* the rest is one `Identity`, loaded in ONE statement (the user row, with their memberships and confirmed
  device ids folded in as arrays) and kept in the cache under the user's id;
* a cached identity is used only while the user's version token and the agencies' version token are the ones it
  was built under. Whatever changes those facts bumps a token at once, and again when its transaction commits
  (so a request that read the old rows in between cannot keep them): saving or deleting a user, a membership,
  a two-factor device, a training record, a course or an agency (signals below), and the services' bulk
  writes that bypass signals (`identity_changed` in agencies/services/people.py and training.py);
* anything unusual (no cached facts and a mismatching session hash, an inactive user, a device of another kind)
  falls back to Django's own `get_user` and django-otp's check, so a deactivated user's next request is refused
  exactly as before (tests/isp_portal/test_signin.py).

If the cache cannot be reached, the identity is loaded from the database (the one statement) every time.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user as django_get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware, is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import AgencyStatus, Membership, RetrainingRequirement, TrainingRecord, User

logger = logging.getLogger(__name__)

# Bump when the shape of a cached Identity changes, so that entries written by older code are never read.
_FORMAT = 6  # 4: agency_area is the area's GSS code, not typed text (issue 10); 5: is_head_of_service (issue 13);
# 6: agency_kind (break10g 3)
# An identity is kept as long as a session may stay idle; the version tokens are what make it current.
_TIMEOUT_SECONDS = int(settings.SESSION_IDLE_TIMEOUT.total_seconds())
_DEVICE_PREFIX = "otp_totp.totpdevice/"
_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname != "password")

# The facts of one membership, as the policy's MembershipFacts takes them (agencies.policy).
MEMBERSHIP_FACTS = {
    "membership_id": "pk",
    "agency_id": "agency_id",
    "agency_name": "agency__name",
    "agency_status": "agency__status",
    "agency_area": "agency__area_id",  # the GSS code (agencies.Area), compared by the policy
    "agency_kind": "agency__kind",  # who may be authorised for restricted information (agencies.policy)
    "roles": "roles",
    "is_caldicott_guardian": "is_caldicott_guardian",
    "is_data_protection_officer": "is_data_protection_officer",
    "is_nominated_representative": "is_nominated_representative",
    "is_head_of_service": "is_head_of_service",
    "authorised_for_restricted": "authorised_for_restricted",
    "agency_ico_expires_on": "agency__ico_registration_expires_on",
}


def active_memberships(user_id: Any) -> QuerySet[Membership]:
    """A user's active memberships, in the principal's order: agencies first (by id), the partnership last."""
    return Membership.objects.filter(user_id=user_id, is_active=True).order_by(
        F("agency_id").asc(nulls_last=True), "created_at"
    )


def membership_facts(values: dict[str, Any]) -> Any:
    """A MembershipFacts from one membership's values (MEMBERSHIP_FACTS' keys)."""
    from agencies.policy import MembershipFacts

    return MembershipFacts(
        **{
            **values,
            "agency_name": values["agency_name"] or "",
            "agency_status": values["agency_status"] or AgencyStatus.ACTIVE,
            "agency_area": values["agency_area"] or "",
            "agency_kind": values["agency_kind"] or "",
            "roles": frozenset(values["roles"]),
            # A date in the cached identity's JSON comes back as its ISO text.
            "agency_ico_expires_on": (
                date.fromisoformat(expires) if isinstance(expires := values["agency_ico_expires_on"], str) else expires
            ),
        }
    )


# --- The cached identity ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Everything a request needs to know about who is signed in. Never holds the password hash or a key."""

    user: dict[str, Any]
    session_hash: str
    device_ids: frozenset[int]
    memberships: tuple[dict[str, Any], ...]
    # Until when their information-sharing training counts (as agencies.policy.training_valid_until answers),
    # worked out on `training_on`: it is used only on that day.
    training: date | bool | None = None
    training_on: date | None = None
    versions: tuple[str, str] = field(default=("", ""))

    @property
    def is_active(self) -> bool:
        return bool(self.user["is_active"])

    def build_user(self) -> User:
        """The user, without a statement: the password is left deferred (reading it would load it), so
        saving this object can never overwrite the password with a stale value."""
        user = User.from_db("default", list(_USER_FIELDS), [self.user[name] for name in _USER_FIELDS])
        if self.training_on == timezone.localdate():
            user._isp_training = self.training  # type: ignore[attr-defined]
        return user

    def principal(self) -> Any:
        from agencies.policy import Principal

        return Principal(
            user_id=self.user["id"],
            is_system=bool(self.user["is_system"]),
            memberships=tuple(membership_facts(values) for values in self.memberships),
        )


def _database() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def _entry_key(user_id: Any) -> str:
    # The database name is part of every key, so servers of different databases sharing one Redis (a test run,
    # `make run`, a benchmark) never read each other's identities.
    return f"identity:{_FORMAT}:{_database()}:user:{user_id}"


def _version_key(user_id: Any) -> str:
    return f"identity:{_database()}:version:{user_id}"


def _agencies_key() -> str:
    return f"identity:{_database()}:agencies"


def valid_training_records(user: Any, today: date) -> QuerySet[TrainingRecord]:
    """The user's information-sharing training valid on `today`: the one definition the training gate
    (agencies.policy.training_valid_until), the cached identity and the agency's "trained" count
    (agencies.selectors._valid_training) read; `valid_training_sql` is the same rule for the statements written
    by hand. A record taken before a retraining sanction (agencies.RetrainingRequirement: completed before the day
    of the decision, or recorded before it) no longer counts (Haringey 6.6; DESIGN 2.5)."""
    superseded = RetrainingRequirement.objects.filter(user_id=OuterRef("user_id")).filter(
        Q(required_on__gt=OuterRef("completed_on")) | Q(required_since__gt=OuterRef("recorded_at"))
    )
    return (
        TrainingRecord.objects.filter(user_id=user, course__is_information_sharing=True, completed_on__lte=today)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .exclude(Exists(superseded))
    )


def valid_training_sql(user_column: str) -> str:
    """`valid_training_records` as an SQL condition on the user in `user_column`, valid on the `%(today)s`
    parameter: for the statements agencies.selectors writes by hand (tests/agencies/test_page_facts.py compares
    them with the ORM and the gate)."""
    # A column name from this source, never input; the dates are parameters.
    return f"""EXISTS (
        SELECT 1 FROM agencies_trainingrecord t JOIN agencies_trainingcourse c ON c.id = t.course_id
        WHERE t.user_id = {user_column} AND c.is_information_sharing AND t.completed_on <= %(today)s
          AND (t.expires_on IS NULL OR t.expires_on >= %(today)s)
          AND NOT EXISTS (SELECT 1 FROM agencies_retrainingrequirement r WHERE r.user_id = t.user_id
            AND (r.required_on > t.completed_on OR r.required_since > t.recorded_at))
    )"""  # noqa: S608


def retraining_outstanding() -> QuerySet[RetrainingRequirement]:
    """The retraining requirements not yet met (Haringey 6.6): their person has no information-sharing course
    completed on or after the day of the decision and recorded after it, i.e. no record that the requirement
    leaves counting in `valid_training_records`."""
    retrained = TrainingRecord.objects.filter(
        user_id=OuterRef("user_id"),
        course__is_information_sharing=True,
        completed_on__gte=OuterRef("required_on"),
        recorded_at__gte=OuterRef("required_since"),
    )
    return RetrainingRequirement.objects.exclude(Exists(retrained))


def facts_annotations(user_ref: str, *, today: date | None = None) -> dict[str, Any]:
    """A user's principal and training as load_identity folds them into its one statement, as annotations of a
    query whose rows name the user at `user_ref` (e.g. "user_id"): reading people with such rows reads what the
    policy asks of them too (remember_facts), rather than one statement each afterwards."""
    today = today or timezone.localdate()  # given by a read compiled once (isp_portal.rows.Compiled)
    valid = valid_training_records(OuterRef(user_ref), today)
    return {
        "isp_memberships": ArraySubquery(
            active_memberships(OuterRef(user_ref)).values(facts=JSONObject(**MEMBERSHIP_FACTS))
        ),
        "isp_training_open": Exists(valid.filter(expires_on__isnull=True)),
        "isp_training_latest": Subquery(
            valid.filter(expires_on__isnull=False).order_by("-expires_on").values("expires_on")[:1]
        ),
    }


def remember_facts(user: User, row: Any) -> None:
    """Keep on `user`, for the request, the principal and training its row was read with (facts_annotations), as
    agencies.policy.principal and training_valid_until would have loaded them. A system account's principal (its
    token's scopes) and an inactive user's (nobody's) are left to the policy."""
    from agencies.policy import Principal

    if user.is_active and not user.is_system:
        user._isp_principal = Principal(  # type: ignore[attr-defined]
            user_id=user.pk,
            is_system=False,
            memberships=tuple(membership_facts(values) for values in row.isp_memberships),
        )
    user._isp_training = True if row.isp_training_open else row.isp_training_latest  # type: ignore[attr-defined]


def load_identity(user_id: Any) -> Identity | None:
    """The identity from the database: ONE statement (the user row, memberships and devices folded in)."""
    memberships = active_memberships(OuterRef("pk")).values(facts=JSONObject(**MEMBERSHIP_FACTS))
    devices = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True).values("pk")
    today = timezone.localdate()
    valid = valid_training_records(OuterRef("pk"), today)
    row = (
        User.objects.filter(pk=user_id)
        .annotate(
            _memberships=ArraySubquery(memberships),
            _devices=ArraySubquery(devices),
            _training_open=Exists(valid.filter(expires_on__isnull=True)),
            _training_latest=Subquery(
                valid.filter(expires_on__isnull=False).order_by("-expires_on").values("expires_on")[:1]
            ),
        )
        .order_by()
        .first()
    )
    if row is None:
        return None
    training: date | bool | None = True if row._training_open else row._training_latest
    return Identity(
        user={name: getattr(row, name) for name in _USER_FIELDS},
        session_hash=row.get_session_auth_hash(),
        device_ids=frozenset(row._devices),
        memberships=tuple(row._memberships),
        training=training,
        training_on=today,
    )


def _token() -> str:
    return uuid.uuid4().hex


def identity_for(user_id: Any) -> Identity | None:
    """The identity from the cache when it is current (no statement), else from the database (one)."""
    entry_key, version_key, agencies_key = _entry_key(user_id), _version_key(user_id), _agencies_key()
    try:
        found = cache.get_many([entry_key, version_key, agencies_key])
        versions = (found.get(version_key), found.get(agencies_key))
        if versions[0] is None or versions[1] is None:
            # First sight of this user (or of any agency) since the cache was emptied: start the tokens. add()
            # keeps a token another process set meanwhile; read them back so both agree.
            if versions[0] is None:
                cache.add(version_key, _token(), timeout=None)
            if versions[1] is None:
                cache.add(agencies_key, _token(), timeout=None)
            again = cache.get_many([version_key, agencies_key])
            versions = (again.get(version_key), again.get(agencies_key))
        entry = found.get(entry_key)
        if isinstance(entry, Identity) and entry.versions == versions:
            return entry
    except Exception:  # the cache is down: the database still answers, in one statement
        logger.warning("identity cache unavailable; loading from the database", exc_info=True)
        return load_identity(user_id)
    # The tokens were read BEFORE the rows: a change committed after this point bumps them again, so what we
    # store now is never taken for current once it is stale.
    loaded = load_identity(user_id)
    if loaded is not None and None not in versions:
        try:
            cache.set(entry_key, _with_versions(loaded, versions), timeout=_TIMEOUT_SECONDS)
        except Exception:
            logger.warning("identity cache unavailable; not caching", exc_info=True)
    return loaded


def _with_versions(identity: Identity, versions: tuple[Any, Any]) -> Identity:
    return Identity(
        user=identity.user,
        session_hash=identity.session_hash,
        device_ids=identity.device_ids,
        memberships=identity.memberships,
        training=identity.training,
        training_on=identity.training_on,
        versions=(str(versions[0]), str(versions[1])),
    )


# --- Invalidation -----------------------------------------------------------------------------------------------


def _bump(key: str) -> None:
    def bump() -> None:
        try:
            cache.set(key, _token(), timeout=None)
        except Exception:
            logger.warning("identity cache unavailable; could not invalidate %s", key, exc_info=True)

    # At once (this request, and readers of the cache meanwhile, must not use the old facts), and again when
    # the change is committed (a reader that loaded the old rows between the two cannot keep them).
    bump()
    transaction.on_commit(bump)


def identity_changed(user_id: Any) -> None:
    """The user, their memberships or roles, their devices or their session stamp changed."""
    if user_id is not None:
        _bump(_version_key(user_id))


def agencies_changed() -> None:
    """An agency changed (its status, name or area are part of every member's principal). Rare, so every
    cached identity is dropped rather than tracking who belongs where."""
    _bump(_agencies_key())


def _user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    identity_changed(instance.pk)


def _owner_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    identity_changed(instance.user_id)


def _agency_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    agencies_changed()


def _person_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    identity_changed(instance.user_id)


def connect_signals() -> None:
    """Called from AgenciesConfig.ready()."""
    from django.db.models.signals import post_delete, post_save

    from agencies.models import Agency, TrainingCourse

    for signal in (post_save, post_delete):
        signal.connect(_user_saved, sender=User, dispatch_uid=f"identity-user-{signal is post_save}")
        signal.connect(_owner_saved, sender=Membership, dispatch_uid=f"identity-membership-{signal is post_save}")
        signal.connect(_owner_saved, sender=TOTPDevice, dispatch_uid=f"identity-device-{signal is post_save}")
        signal.connect(_agency_saved, sender=Agency, dispatch_uid=f"identity-agency-{signal is post_save}")
        # Training validity is part of the identity; a course's terms change rarely, so drop them all.
        signal.connect(_person_saved, sender=TrainingRecord, dispatch_uid=f"identity-training-{signal is post_save}")
        signal.connect(_agency_saved, sender=TrainingCourse, dispatch_uid=f"identity-course-{signal is post_save}")


# --- The request's user -----------------------------------------------------------------------------------------


class _LazyDevice(SimpleLazyObject):
    """The device that verified this session, loaded only if something reads it (is_verified() does not)."""


def _device_id(persistent_id: Any) -> int | None:
    if isinstance(persistent_id, str) and persistent_id.startswith(_DEVICE_PREFIX):
        number = persistent_id.removeprefix(_DEVICE_PREFIX)
        if number.isdigit():
            return int(number)
    return None


def _anonymous() -> AnonymousUser:
    user = AnonymousUser()
    user.otp_device = None  # type: ignore[attr-defined]
    user.is_verified = functools.partial(is_verified, user)  # type: ignore[attr-defined]
    return user


def _fast(request: HttpRequest) -> Any | None:
    """The signed-in user from the cached identity, or None when only the full check can decide."""
    session = request.session
    if SESSION_KEY not in session:
        return _anonymous()
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
    except Exception:
        return None
    identity = identity_for(user_id)
    session_hash = session.get(HASH_SESSION_KEY)
    if identity is None or not identity.is_active or not session_hash:
        return None
    if not constant_time_compare(session_hash, identity.session_hash):
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device_id = _device_id(persistent_id)
    if persistent_id is not None and device_id is None:
        return None  # a device of another kind: let django-otp decide
    user = identity.build_user()
    device: Any = None
    if device_id is not None:
        if device_id in identity.device_ids:
            device = _LazyDevice(functools.partial(TOTPDevice.objects.get, pk=device_id))
        else:  # not (or no longer) a confirmed device of this user: as django-otp does, forget it
            del session[DEVICE_ID_SESSION_KEY]
    user.otp_device = device  # type: ignore[attr-defined]
    user.is_verified = functools.partial(is_verified, user)  # type: ignore[attr-defined]
    user._isp_principal = identity.principal()  # type: ignore[attr-defined]
    return user


def request_user(request: HttpRequest) -> Any:
    """request.user: from the cached identity when it can be, else exactly as Django and django-otp decide."""
    user = _fast(request)
    if user is None:
        user = django_get_user(request)
        user = OTPMiddleware(lambda request: None)._verify_user_sync(request, user)
    return user

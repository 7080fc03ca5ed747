"""The access-policy mechanism: the one choke point every view and API endpoint goes through (DESIGN 3.2).

Each app's `policy.py` registers a `Policy` for each of its models (or for a named resource that is not a
model, such as "the audit chain"). This module only dispatches:

* `restrict(user, action, model_or_queryset)` -> the objects the user may see for that action. Views and
  selectors start every read here.
* `can(user, action, target)` -> bool, for showing or hiding a button.
* `require(user, action, target)` -> returns or raises: `OutOfScope` (404: the user may not even know the
  object exists) or `NotPermitted` (403: they can see it but not do this). Services call it inside their
  transaction, so a check and the write it guards cannot drift apart.
* `get_or_deny(user, model_or_queryset, action=..., **lookup)` -> the object, or OutOfScope.

Deny by default: a model without a policy, an anonymous user, or a policy that does not say yes gives no.
Every denial is written to the audit trail once, by AccessDeniedMiddleware (HTML) or the API's exception
handler, after the failed transaction has rolled back, so the record of the denial survives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from audit.services import ActorIdentity, audit_record

M = TypeVar("M", bound=Model)


class AccessDenied(Exception):
    """A policy said no. Carries what the audit event needs; recorded exactly once."""

    status: int = 403

    def __init__(
        self,
        *,
        action: str,
        target_type: str,
        target_id: str = "",
        reason: str = "",
        child_id: int | None = None,
    ) -> None:
        super().__init__(reason or f"{action} on {target_type} {target_id}".strip())
        self.action = action
        self.target_type = target_type
        self.target_id = target_id
        self.reason = reason
        self.child_id = child_id
        self.recorded = False


class OutOfScope(AccessDenied, Http404):
    """The object is outside the user's scope: answer 404, exactly as if it did not exist."""

    status = 404


class NotPermitted(AccessDenied, PermissionDenied):
    """The user can see the object but may not do this to it: answer 403 with the reason."""

    status = 403


class Policy(Generic[M]):
    """Who may do what to the objects of one model. Subclass in an app's policy.py and `register` it.

    `scope` returns the Q a queryset is filtered by for an action (None: nothing at all). `permits` decides,
    for an object already known to be in scope (or for None: a model-level action such as create), whether
    the action is allowed. `in_scope` answers scope for a loaded object; override it with a pure-Python
    check when one exists, to save a query.
    """

    model: type[M]

    def scope(self, user: Any, action: str) -> Q | None:
        return None

    def permits(self, user: Any, action: str, obj: M | None) -> bool:
        return False

    def reason(self, user: Any, action: str, obj: M | None) -> str:
        """Why `permits` said no, in words the user can act on (shown on the 403 page)."""
        return "You do not have permission to do this."

    def in_scope(self, user: Any, obj: M) -> bool:
        return restrict(user, "view", type(obj)).filter(pk=obj.pk).exists()

    def child_of(self, obj: M) -> int | None:
        """The child an object concerns, for the audit trail (None when it concerns no child)."""
        return None


class RefusalPolicy(Policy[M]):
    """A policy whose every decision is one sentence or none: `refusal(user, action, obj)` gives the rule that
    refuses an action on an object in scope (None: allowed), so `permits` and `reason` can never disagree. The
    portal itself (a SystemActor) and `view` of an object in scope are always allowed; a model-level action (no
    object) never is."""

    def refusal(self, user: Any, action: str, obj: M) -> str | None:
        """The rule refusing `action` on `obj`, or None when allowed. Deny by default, as Policy is: a subclass
        names what it allows."""
        return "You do not have permission to do this."

    def permits(self, user: Any, action: str, obj: M | None) -> bool:
        if isinstance(user, SystemActor) or action == "view":
            return True
        return obj is not None and self.refusal(user, action, obj) is None

    def reason(self, user: Any, action: str, obj: M | None) -> str:
        refused = None if obj is None else self.refusal(user, action, obj)
        return refused or "You do not have permission to do this."


class SystemActor:
    """The portal itself acting: a management command, a sweep, the demo seeder. Never a web request's
    user (nothing turns a session into one). The policy lets it do anything, and the audit trail names it.
    """

    is_authenticated = True
    is_active = True
    is_system = True
    pk = None

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"SystemActor({self.label!r})"

    def audit_identity(self) -> ActorIdentity:
        return ActorIdentity(user_id=None, label=f"system: {self.label}")


class Resource:
    """A thing access is decided on that is not a row: a page, a report, the audit chain."""

    def __init__(self, name: str, label: str) -> None:
        self.name = name
        self.label = label

    def __repr__(self) -> str:
        return f"Resource({self.name!r})"


ResourceRule = Callable[[Any, str], bool]
# A gate narrows what some principals may do whatever the policies say: `gate(user, action, target_label)`
# returns why the action is refused (or None). The agencies app registers one for API tokens, whose
# allowed actions are their scopes intersected with what their role would allow (DESIGN 4).
ActorGate = Callable[[Any, str, str], "str | None"]

_model_policies: dict[type[Model], Policy[Any]] = {}
_resource_rules: dict[str, tuple[ResourceRule, Callable[[Any, str], str] | None]] = {}
_gates: list[ActorGate] = []
# For a resource read in parts (the audit trail by agency): which agencies' part a user may read.
_resource_scopes: dict[str, Callable[[Any], frozenset[int] | None]] = {}


def register_gate(gate: ActorGate) -> None:
    """Add a gate every decision passes through before the policies are asked."""
    _gates.append(gate)


def gate_refusal(user: Any, action: str, target_label: str) -> str | None:
    """Why a gate refuses `action` on targets labelled `target_label` ("app.model" or "resource:name")."""
    for gate in _gates:
        reason = gate(user, action, target_label)
        if reason:
            return reason
    return None


def require_gate(user: Any, action: str, model: type[Model]) -> None:
    """Raise NotPermitted (403) when a gate refuses `action` on `model` whatever the object (an API token
    whose scopes do not list it). Asked before a request body is read, so that a token refused for its
    scopes is told so rather than told that an object named in the body does not exist."""
    if isinstance(user, SystemActor) or not _signed_in(user):
        return
    label = model._meta.label_lower
    gated = gate_refusal(user, action, label)
    if gated:
        raise NotPermitted(action=action, target_type=label, reason=gated)


def register(policy_class: type[Policy[M]]) -> type[Policy[M]]:
    """Class decorator: make `policy_class` the policy of its model."""
    model = policy_class.model
    if model in _model_policies:
        raise RuntimeError(f"{model.__name__} already has a policy: {type(_model_policies[model]).__name__}")
    _model_policies[model] = policy_class()
    return policy_class


def register_resource(
    resource: Resource,
    rule: ResourceRule,
    reason: Callable[[Any, str], str] | None = None,
    scope: Callable[[Any], frozenset[int] | None] | None = None,
) -> None:
    """Decide access to a non-model resource with `rule(user, action) -> bool`; `scope(user)` says which
    agencies' part of it the user may read (None: all of it)."""
    if resource.name in _resource_rules:
        raise RuntimeError(f"resource {resource.name} already has a rule")
    _resource_rules[resource.name] = (rule, reason)
    if scope is not None:
        _resource_scopes[resource.name] = scope


def resource_scope(user: Any, resource: Resource) -> frozenset[int] | None:
    """The agencies whose part of `resource` the user may read: None for all of it; nothing unless `can`."""
    if isinstance(user, SystemActor):
        return None
    if not can(user, "view", resource):
        return frozenset()
    scope = _resource_scopes.get(resource.name)
    return scope(user) if scope is not None else None


_helpers: list[Callable[[Any, str], str]] = []


def register_helper(helper: Callable[[Any, str], str]) -> None:
    """Register the function that says, as a sentence, who can help a user refused for a reason (it knows the
    roles and the kinds of refusal; this module does not)."""
    _helpers[:] = [helper]


def who_can_help(user: Any, reason: str = "") -> str:
    """Who a user refused for `reason` should ask, as a sentence: depends on their roles and the refusal."""
    if _helpers:
        return _helpers[0](user, reason)
    return "If you think you should be able to do this, ask your agency's admin."


def policy_for(model: type[Model]) -> Policy[Any] | None:
    return _model_policies.get(model)


def registered_models() -> list[type[Model]]:
    return list(_model_policies)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def restrict(user: Any, action: str, target: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The objects of a model (or of a queryset) that `user` may `action`. Nothing, by default."""
    queryset: QuerySet[M] = target if isinstance(target, QuerySet) else target._default_manager.all()
    if isinstance(user, SystemActor):
        return queryset
    policy = _model_policies.get(queryset.model)
    if policy is None or not _signed_in(user) or gate_refusal(user, action, queryset.model._meta.label_lower):
        return queryset.none()
    condition = policy.scope(user, action)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def scope_is_empty(user: Any, action: str, model: type[Model]) -> bool:
    """Whether `restrict(user, action, model)` is `.none()`, decided as restrict decides it but without building
    the queryset (a page that reads its rows in SQL asks this first: docs/fast-pages.md §3)."""
    if isinstance(user, SystemActor):
        return False
    policy = _model_policies.get(model)
    if policy is None or not _signed_in(user) or gate_refusal(user, action, model._meta.label_lower):
        return True
    return policy.scope(user, action) is None


def can(user: Any, action: str, target: Model | type[Model] | Resource) -> bool:
    if isinstance(user, SystemActor):
        return True
    if not _signed_in(user):
        return False
    if isinstance(target, Resource):
        entry = _resource_rules.get(target.name)
        return bool(entry and not gate_refusal(user, action, f"resource:{target.name}") and entry[0](user, action))
    model = target if isinstance(target, type) else type(target)
    policy = _model_policies.get(model)
    if policy is None or gate_refusal(user, action, model._meta.label_lower):
        return False
    if isinstance(target, type):
        return bool(policy.permits(user, action, None))
    return bool(policy.in_scope(user, target) and policy.permits(user, action, target))


def require(user: Any, action: str, target: Model | type[Model] | Resource) -> None:
    """Return if `user` may `action` the target; otherwise raise OutOfScope (404) or NotPermitted (403)."""
    if isinstance(user, SystemActor):
        return
    if isinstance(target, Resource):
        entry = _resource_rules.get(target.name)
        gated = gate_refusal(user, action, f"resource:{target.name}") if _signed_in(user) else None
        if not _signed_in(user) or not entry or gated or not entry[0](user, action):
            reason = gated or (
                entry[1](user, action) if entry and entry[1] else "You do not have permission to do this."
            )
            raise NotPermitted(action=action, target_type=f"resource:{target.name}", reason=reason)
        return
    model = target if isinstance(target, type) else type(target)
    policy = _model_policies.get(model)
    label = model._meta.label_lower
    if isinstance(target, type):
        gated = gate_refusal(user, action, label) if _signed_in(user) else None
        if policy is None or not _signed_in(user) or gated or not policy.permits(user, action, None):
            reason = gated or (
                policy.reason(user, action, None) if policy else "You do not have permission to do this."
            )
            raise NotPermitted(action=action, target_type=label, reason=reason)
        return
    child_id = policy.child_of(target) if policy else None
    if policy is None or not _signed_in(user) or gate_refusal(user, "view", label) or not policy.in_scope(user, target):
        raise OutOfScope(action=action, target_type=label, target_id=str(target.pk), child_id=child_id)
    gated = gate_refusal(user, action, label)
    if gated:
        raise NotPermitted(action=action, target_type=label, target_id=str(target.pk), reason=gated, child_id=child_id)
    if not policy.permits(user, action, target):
        raise NotPermitted(
            action=action,
            target_type=label,
            target_id=str(target.pk),
            reason=policy.reason(user, action, target),
            child_id=child_id,
        )


def get_or_deny(user: Any, target: type[M] | QuerySet[M], *, action: str = "view", **lookup: Any) -> M:
    """Fetch one object through the user's view scope and check `action` on it.

    Missing and out-of-scope look the same to the user (404), and both are recorded as denials. An action a
    gate refuses on every object of the model (a token's scopes) is refused first, naming the gate: that
    answer is the same whatever the id, so it tells nothing about which objects exist."""
    if action != "view":
        require_gate(user, action, target if isinstance(target, type) else target.model)
    queryset = restrict(user, "view", target)
    try:
        obj = queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise OutOfScope(
            action=action,
            target_type=queryset.model._meta.label_lower,
            target_id=",".join(str(value) for value in lookup.values())[:64],
            child_id=_child_of_refused(target, lookup),
        ) from None
    if action != "view" and not isinstance(user, SystemActor):
        policy = _model_policies[queryset.model]
        gated = gate_refusal(user, action, queryset.model._meta.label_lower)
        if gated or not policy.permits(user, action, obj):
            raise NotPermitted(
                action=action,
                target_type=queryset.model._meta.label_lower,
                target_id=str(obj.pk),
                reason=gated or policy.reason(user, action, obj),
                child_id=policy.child_of(obj),
            )
    return obj


def _child_of_refused(target: type[M] | QuerySet[M], lookup: dict[str, Any]) -> int | None:
    """The child an object refused as out of scope concerns (None when it does not exist or concerns no child), so
    a refused look at a child is in that child's history (DESIGN 2.6: "history of enquiries"; a shielded child's
    shielding agency reads who tried). The user is told nothing more: the answer is the same 404. One query, on a
    refusal only, and only for a model whose policy says which child its objects concern."""
    queryset: QuerySet[M] = target if isinstance(target, QuerySet) else target._default_manager.all()
    policy = _model_policies.get(queryset.model)
    if policy is None or type(policy).child_of is Policy.child_of:
        return None
    try:
        obj = queryset.filter(**lookup).first()
    except (ValueError, TypeError, ObjectDoesNotExist):
        return None
    return policy.child_of(obj) if obj is not None else None


def in_view_scope(user: Any, obj: Model) -> bool:
    """Whether `obj`, read by its id, is one of `restrict(user, "view", type(obj))`, decided on the row in memory:
    the gate, then the policy's `in_scope`, which each policy keeps equal to its `scope` filter (so a lookup by id
    need not build and compile the scope's query: issue 12, the write path's CPU). No policy: nothing."""
    if isinstance(user, SystemActor):
        return True
    policy = _model_policies.get(type(obj))
    return bool(
        policy is not None
        and _signed_in(user)
        and not gate_refusal(user, "view", obj._meta.label_lower)
        and policy.in_scope(user, obj)
    )


def found_or_deny(user: Any, model: type[M], obj: M | None, *, action: str = "view", target_id: Any = "") -> M:
    """The decision `get_or_deny` makes, for an object a selector read itself in one plain SQL statement
    (isp_portal/rows.py): missing and out of scope look the same (404) and both are recorded as denials; the
    view scope is the policy's `in_scope`, then `action` is checked as `get_or_deny` checks it."""
    label = model._meta.label_lower
    if obj is None:
        raise OutOfScope(action=action, target_type=label, target_id=str(target_id)[:64])
    if isinstance(user, SystemActor):
        return obj
    policy = _model_policies.get(model)
    if policy is None or not in_view_scope(user, obj):
        # The child it concerns, for that child's history (the same 404 to the user).
        child_id = policy.child_of(obj) if policy is not None else None
        raise OutOfScope(action=action, target_type=label, target_id=str(obj.pk)[:64], child_id=child_id)
    if action != "view":
        gated = gate_refusal(user, action, label)
        if gated or not policy.permits(user, action, obj):
            raise NotPermitted(
                action=action,
                target_type=label,
                target_id=str(obj.pk),
                reason=gated or policy.reason(user, action, obj),
                child_id=policy.child_of(obj),
            )
    return obj


def record_denial(denial: AccessDenied, *, user: Any, path: str = "", method: str = "") -> None:
    """Write the audit event for a denial, once (called by the middleware and the API handler)."""
    if denial.recorded:
        return
    audit_record(
        kind="access.denied",
        actor=user,
        outcome="denied",
        object_type=denial.target_type,
        object_id=denial.target_id,
        child_id=denial.child_id,
        detail={
            "action": denial.action,
            "status": denial.status,
            "path": path,
            "method": method,
            "reason": denial.reason,
        },
    )
    denial.recorded = True

"""`policy.scope_is_empty` answers what `policy.restrict(...).query.is_empty()` answers, for every model
policy, role and common action, without building the queryset (issue 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from isp_portal import policy
from isp_portal.policy import SystemActor
from tests.factories import ROLES, World

pytestmark = pytest.mark.django_db

ACTIONS = ("view", "change", "delete", "manage_members", "withdraw")


def test_scope_is_empty_agrees_with_restrict(world: World) -> None:
    users = [world.users[role] for role in ROLES] + [AnonymousUser(), SystemActor("test")]
    models = list(policy._model_policies)
    assert models, "the policies are registered"
    checked = 0
    for user in users:
        for model in models:
            for action in ACTIONS:
                expected = policy.restrict(user, action, model).query.is_empty()
                assert policy.scope_is_empty(user, action, model) == expected, (user, model, action)
                checked += 1
    assert checked == len(users) * len(models) * len(ACTIONS)

"""isp_portal.sessions: Django's cached_db sessions with the save of an existing session as one plain UPDATE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from isp_portal.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_portal_uses_this_store(settings) -> None:
    assert settings.SESSION_ENGINE == "isp_portal.sessions"


def test_a_new_session_is_created_as_django_creates_it() -> None:
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    row = Session.objects.get(session_key=store.session_key)
    assert DjangoStore().decode(row.session_data) == {"colour": "green"}


def test_saving_an_existing_session_writes_the_row_and_the_cache_in_one_statement() -> None:
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    again = SessionStore(store.session_key)
    again["colour"] = "blue"
    again.set_expiry(600)
    with CaptureQueriesContext(connection) as queries:
        again.save()
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["UPDATE"]
    row = Session.objects.get(session_key=store.session_key)
    # What Django's own store reads back, from the database and from the cache alike.
    assert DjangoStore().decode(row.session_data)["colour"] == "blue"
    assert abs(row.expire_date - (timezone.now() + timedelta(seconds=600))) < timedelta(seconds=5)
    assert DjangoStore(store.session_key)["colour"] == "blue"
    Session.objects.filter(session_key=store.session_key).delete()  # the cache alone still answers
    assert SessionStore(store.session_key)["colour"] == "blue"


def test_saving_a_session_deleted_meanwhile_is_an_update_error() -> None:
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    kept = SessionStore(store.session_key)
    kept["colour"] = "red"
    SessionStore(store.session_key).delete()
    with pytest.raises(UpdateError):
        kept.save()
    assert not Session.objects.filter(session_key=store.session_key).exists()

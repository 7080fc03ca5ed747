"""Test settings: real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, or the embedded ones), fast hashing."""

import dataclasses

from isp_portal.env import env_str
from isp_portal.settings.base import *  # noqa: F403
from isp_portal.settings.base import CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES, REDIS

SECRET_KEY = env_str("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789-abcdefghijklmn")
DEMO_MODE = False
# Argon2id still, with a tiny cost so that creating users in tests is quick.
PASSWORD_HASHERS = ["isp_portal.passwords.FastTestArgon2PasswordHasher"]
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES["default"]["CONN_MAX_AGE"] = 0
# The suite uses the Redis database after REDIS_URL's, so a worker started by `make run` on the same
# server never takes the suite's tasks (and the suite never takes its).
if env_str("ISP_TEST_SAME_REDIS_DB") != "1":
    REDIS = dataclasses.replace(REDIS, db=min(REDIS.db + 1, 15))
# Under pytest-xdist (`make test`) every worker has a test database of its own (test_<name>_gw0, _gw1, ...) whose
# rows take the same primary keys as the other workers', while all share that one Redis database. So the cache
# keys (a person's cached identity, the search pace) and Celery's queues carry the worker's name, or one worker
# would read another's cached user 5 or run another's task against its own database. The servers and workers a
# test starts inherit PYTEST_XDIST_WORKER, so they use the same names as the test that started them.
XDIST_WORKER = env_str("PYTEST_XDIST_WORKER", "")
CACHES = {
    "default": {
        "BACKEND": "isp_portal.cache.OutageTolerantRedisCache",  # isp_portal/cache.py: one client, survives outages
        "LOCATION": REDIS.django_cache_url,
        "KEY_PREFIX": f"isp-test-{XDIST_WORKER}" if XDIST_WORKER else "isp-test",
    }
}
CELERY_BROKER_URL = REDIS.celery_url
if XDIST_WORKER:
    _transport_options: dict[str, object] = {**CELERY_BROKER_TRANSPORT_OPTIONS}
    _transport_options["global_keyprefix"] = f"isp-test-{XDIST_WORKER}:"
    CELERY_BROKER_TRANSPORT_OPTIONS = _transport_options  # type: ignore[assignment]

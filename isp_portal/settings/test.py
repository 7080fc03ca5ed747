"""Test settings: real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, or the embedded ones), fast hashing."""

import dataclasses

from isp_portal.env import env_str
from isp_portal.settings.base import *  # noqa: F403
from isp_portal.settings.base import DATABASES, REDIS

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
CACHES = {
    "default": {
        "BACKEND": "isp_portal.cache.OutageTolerantRedisCache",  # isp_portal/cache.py: one client, survives outages
        "LOCATION": REDIS.django_cache_url,
        "KEY_PREFIX": "isp-test",
    }
}
CELERY_BROKER_URL = REDIS.celery_url

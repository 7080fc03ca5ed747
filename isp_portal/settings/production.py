"""Production settings. Every required variable must be set; a missing one stops start-up naming it.

`manage.py check --deploy` with these settings prints no warnings (tests/test_settings.py proves it).
"""

from django.core.exceptions import ImproperlyConfigured

from isp_portal.env import database_from_url, env_bool, env_int, env_list, env_str, redis_from_url
from isp_portal.settings.base import *  # noqa: F403
from isp_portal.settings.base import AGGREGATE_SUPPRESSION_FLOOR, AGGREGATE_SUPPRESSION_THRESHOLD, DATABASES

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
# Nothing derivable from the source may protect production (DESIGN 4): not the development or test keys
# published in development.py, test.py and the Dockerfile's build step, which would let anyone forge
# sessions and tokens.
if SECRET_KEY.startswith(("dev-only-", "test-only-", "build-only-")) or "not-for-production" in SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is a published development, test or build key: set a random one of 50+ characters."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
DATABASES["default"] = {
    **database_from_url(env_str("DATABASE_URL", required=True)),
    "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
    "CONN_HEALTH_CHECKS": True,
}
REDIS = redis_from_url(env_str("REDIS_URL", required=True))
CACHES = {
    "default": {
        "BACKEND": "isp_portal.cache.OutageTolerantRedisCache",  # isp_portal/cache.py: one client, survives outages
        "LOCATION": REDIS.django_cache_url,
        "KEY_PREFIX": "isp",
    }
}
CELERY_BROKER_URL = REDIS.celery_url
EMAIL_HOST = env_str("EMAIL_HOST", required=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", required=True)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env_str("SITE_URL", required=True)

if env_bool("DEMO_MODE", False):
    raise ImproperlyConfigured("DEMO_MODE must not be on in production: it shows two-factor codes.")
DEMO_MODE = False
if not env_bool("TWO_FACTOR_REQUIRED", True):
    raise ImproperlyConfigured("TWO_FACTOR_REQUIRED cannot be turned off in production.")
TWO_FACTOR_REQUIRED = True
if AGGREGATE_SUPPRESSION_THRESHOLD < AGGREGATE_SUPPRESSION_FLOOR:
    raise ImproperlyConfigured(
        f"AGGREGATE_SUPPRESSION_THRESHOLD must be at least {AGGREGATE_SUPPRESSION_FLOOR} in production "
        "(counts of 10 children or fewer are never shown in the aggregate tier)."
    )

# HTTPS everywhere. TLS is terminated by the proxy in front of gunicorn, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/live$"]
SECURE_HSTS_SECONDS = 63072000  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-isp_session"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Secure-csrftoken"
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

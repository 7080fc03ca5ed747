"""Settings of the baseline server: the portal's production database settings, and nothing else.

No middleware, no sessions, no templates, no static files: only what a bare read-and-insert view needs.
"""

from isp_portal.env import database_from_url, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
INSTALLED_APPS = ["benchmarks.baseline"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.baseline.urls"
DATABASES = {
    "default": {
        **database_from_url(env_str("DATABASE_URL", required=True)),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }
}
USE_TZ = True
TIME_ZONE = "Europe/London"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False}

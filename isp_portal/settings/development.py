"""Development settings: what `make run` uses. Never for production."""

from isp_portal.env import env_bool, env_str
from isp_portal.settings.base import *  # noqa: F403

# Off unless asked for (DEBUG=true): a newcomer sees the portal's own GOV.UK error pages, not Django's debug
# pages (a 404 would list every URL pattern). Tracebacks still go to the console log. Static files are served
# by WhiteNoise straight from the source folders either way (below).
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-secret-key-not-for-production-0123456789-abcdefghijklmnop")
DEMO_MODE = env_bool("DEMO_MODE", True)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PARTNERSHIP_NAME = env_str("PARTNERSHIP_NAME", "Northbridge Children and Young People's Strategic Partnership")

"""Development settings: what `make run` uses. Never for production."""

from isp_portal.env import env_bool, env_str
from isp_portal.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
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

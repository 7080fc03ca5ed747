"""Settings shared by every environment. Everything configurable comes from environment variables
(README: Configuration); development.py, test.py and production.py adjust the defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from isp_portal.env import database_from_url, env_bool, env_int, env_list, env_str, redis_from_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- The partnership ------------------------------------------------------------------------------------------
PARTNERSHIP_NAME = env_str("PARTNERSHIP_NAME", "Children and Young People's Strategic Partnership")
SERVICE_NAME = "ISP Portal"
# Working days skip weekends and this nation's bank holidays (DESIGN 2.5):
# england-and-wales (default), scotland or northern-ireland.
BANK_HOLIDAY_NATION = env_str("BANK_HOLIDAY_NATION", "england-and-wales")
# Southampton 11: a young person past the age scope is asked for their consent to keep their record; with nothing
# to keep it by, it is closed this many working days after their lead professionals are told (sharing.retention_rules
# .closing_date), not the same day.
RETENTION_GRACE_WORKING_DAYS = env_int("RETENTION_GRACE_WORKING_DAYS", 20)
# ... and their lead professionals are told this many days before the young person passes the scope.
RETENTION_ADVANCE_NOTICE_DAYS = env_int("RETENTION_ADVANCE_NOTICE_DAYS", 28)
# Buckinghamshire 4: accreditation (information-sharing training) before access to any child record.
TRAINING_GATE = env_bool("TRAINING_GATE", True)
# Southampton 12: counts of "10 records or less" are not shown in the aggregate tier (sharing.rules.suppress_table).
AGGREGATE_SUPPRESSION_THRESHOLD = env_int("AGGREGATE_SUPPRESSION_THRESHOLD", 10)
# The least threshold production starts with: the protocol's "usually considered 10 records or less" (Southampton
# 12), above the cell-key noise's PTABLE_BOUND (sharing.cell_key relies on it; break11h finding 14). Below it only
# where a settings module says so (development and tests may show small counts of their own made-up children).
AGGREGATE_SUPPRESSION_FLOOR = 10
if AGGREGATE_SUPPRESSION_THRESHOLD < 0:
    raise ImproperlyConfigured(
        f"The environment variable AGGREGATE_SUPPRESSION_THRESHOLD must be 0 or more, not "
        f"{AGGREGATE_SUPPRESSION_THRESHOLD}."
    )
# Demo mode shows the current two-factor code of seeded demo users on the sign-in page, so a newcomer can
# get in within a minute. Production refuses to start with it on.
DEMO_MODE = env_bool("DEMO_MODE", False)

# --- Applications ---------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Ours, lowest layer first: audit <- isp_portal <- agencies <- protocols <- sharing <- consent <- disclosures
    # <- breaches (consent imports sharing; sharing reads consent only for retention). The list keeps consent
    # before sharing: seed_demo runs the apps in this order, and sharing's demo re-seeds consent.
    "audit",
    "isp_portal",
    "agencies",
    "protocols",
    "consent",
    "sharing",
    "disclosures",
    "breaches",
    # Issue 15: above every domain app, as they read what all of them write: the auditors' workspace, and the
    # aggregate reports with the partnership registers.
    "oversight",
    "reports",
]

MIDDLEWARE = [
    "isp_portal.middleware.LivenessMiddleware",  # first: liveness needs nothing (isp_portal/views/health.py)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "isp_portal.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # request.user and its verified second factor from the cached identity, in place of Django's
    # AuthenticationMiddleware and django-otp's OTPMiddleware (agencies/identity.py; issue 9).
    "agencies.middleware.IdentityMiddleware",
    # A form post that is not UTF-8 is refused (400), one too large answered with a 413, before any view.
    "isp_portal.middleware.FormEncodingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "isp_portal.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the header built once per process and the request's nonce put in (issue 9).
    "isp_portal.middleware.CachedCSPMiddleware",
    "isp_portal.middleware.NoStoreMiddleware",
    "isp_portal.middleware.AccessDeniedMiddleware",
    # A browser write a form or a service refused is recorded once, like the API's 400s (issue 8).
    "isp_portal.refusals.PageRefusalMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # django-axes must come last.
    "axes.middleware.AxesMiddleware",
]

# Benchmark mode (benchmarks/http_pages.py): count each request's SQL statements in response headers.
if env_bool("ISP_COUNT_STATEMENTS", False):
    MIDDLEWARE.insert(0, "isp_portal.middleware.StatementCountMiddleware")

ROOT_URLCONF = "isp_portal.urls"
WSGI_APPLICATION = "isp_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "isp_portal.context_processors.portal",
            ],
        },
    },
    # The pages whose bodies are compiled templates (docs/fast-pages.md §4): `render(..., using="jinja2")`,
    # templates under <app>/jinja2/.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "isp_portal.jinja.environment",
            "context_processors": [
                # One CSRF token a page, masked once, as Django's engine gives it (the backend's own
                # `csrf_token` masks it again each time it is shown).
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
                "isp_portal.context_processors.portal",
                "isp_portal.jinja.routes",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres:@127.0.0.1:5432/isp_portal")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS = redis_from_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "isp_portal.cache.OutageTolerantRedisCache",  # isp_portal/cache.py: one client, survives outages
        "LOCATION": REDIS.django_cache_url,
        "KEY_PREFIX": "isp",
    }
}

# --- Users, sign-in and sessions (DESIGN 4) ---------------------------------------------------------------------
AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # django-axes must be first
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "isp_portal.passwords.BreachedStylePasswordValidator"},
    {"NAME": "isp_portal.demo_context.DemoPasswordValidator"},
]
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "dashboard"

# Sessions are read from the cache and written through to the database (no statement to read one; a session
# survives a cache restart).
SESSION_ENGINE = "isp_portal.sessions"  # Django's cached_db, its save one plain UPDATE (issue 9)
SESSION_COOKIE_NAME = "isp_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "isp_portal.views.errors.csrf_failure"

# Two-factor authentication (TOTP) for every user. Turning it off is for automated test clients only and
# production refuses to start with it off.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = "ISP Portal"
OTP_TOTP_THROTTLE_FACTOR = 1

# Client IP: how many reverse proxies in front of us append to X-Forwarded-For (0 = use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# The child search, per person or agency system (sharing.search_pace): a practitioner searches a few times a
# minute; a script listing the index by many searches is answered 429 and recorded. 0: no limit.
CHILD_SEARCHES_PER_MINUTE = env_int("CHILD_SEARCHES_PER_MINUTE", 30)

# django-axes: lock out a username from one IP after repeated failures, for 15 minutes, never forever.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "isp_portal.request_context.client_ip"
AXES_USERNAME_FORM_FIELD = "email"
AXES_LOCKOUT_CALLABLE = "isp_portal.views.auth.locked_out"
AXES_VERBOSE = False

# --- Security headers (DESIGN 4) -------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Static files -----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "isp_portal.storage.StaticFilesStorage"},  # whitenoise's, addresses kept
}
# Uploaded documents live outside the web root and are served only through views that check the policy.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
SECURITY_DOCUMENT_MAX_BYTES = env_int("SECURITY_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# A consent's evidence: a scan or a photograph of the signed form (consent.services).
CONSENT_EVIDENCE_MAX_BYTES = env_int("CONSENT_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# The auditors' export files (issue 15), under PRIVATE_MEDIA_ROOT: kept this long for their requester, then deleted
# by a sweep; a job whose worker gave no sign of life for EXPORT_STALL_MINUTES is failed; the progress page's count
# is written every EXPORT_PROGRESS_ROWS rows.
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)
EXPORT_STALL_MINUTES = env_int("EXPORT_STALL_MINUTES", 15)
EXPORT_PROGRESS_ROWS = env_int("EXPORT_PROGRESS_ROWS", 50_000)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"

# --- Email and notifications -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ISP Portal <no-reply@isp-portal.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The public address of the portal, used in links inside emails (sent by the worker, which has no request to
# take the address from). Unset, it is this machine on the port the web server listens on (PORT), so the links
# of a portal run on another port still work.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}")

# --- Background work (DESIGN 3.3) ----------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS.celery_url
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "isp"
CELERY_TIMEZONE = "UTC"
# Only one beat schedules at a time: the others wait as standbys (isp_portal/beat.py).
CELERY_BEAT_SCHEDULER = "isp_portal.beat:SingleBeatScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILE", str(BASE_DIR / "var" / "celerybeat-schedule"))
# Sweeps are idempotent and set-based: a missed or repeated tick loses nothing and sends nothing twice.
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "audit.seal", "schedule": 5.0},
    # Issue 15: the whole chain verified and its head anchored (a row, an email to the auditors) once a day; the
    # first hourly tick of the day runs it, the others find the day's anchor.
    "audit-verify-daily": {"task": "audit.verify_daily", "schedule": 3600.0},
    # Issue 15: audit data past AUDIT_RETENTION_YEARS is told to the auditors once a month (keyed), never deleted.
    "audit-retention-alert": {"task": "audit.retention_alert", "schedule": 86400.0},
    "notifications-deliver": {"task": "isp_portal.notifications_deliver", "schedule": 60.0},
    "agencies-expiry": {"task": "agencies.expiry_sweep", "schedule": 3600.0},
    "protocols-deadlines": {"task": "protocols.deadline_sweep", "schedule": 600.0},
    "consent-reviews": {"task": "consent.review_sweep", "schedule": 3600.0},
    "sharing-retention": {"task": "sharing.retention_sweep", "schedule": 3600.0},
    # The aggregate tier's counts as at the start of the day (break11d finding 1): the first tick after midnight
    # takes the day's snapshot; the others find it and do nothing.
    "sharing-aggregate-snapshot": {"task": "sharing.aggregate_snapshot", "schedule": 300.0},
    "disclosures-deadlines": {"task": "disclosures.deadline_sweep", "schedule": 300.0},
    "disclosures-after": {"task": "disclosures.after_sweep", "schedule": 300.0},
    # Issue 14: the breach procedure's reminders and escalations (the ICO's clock is in hours: every 5 minutes),
    # and suspensions recorded as ended on their end date.
    "breaches-obligations": {"task": "breaches.obligations_sweep", "schedule": 300.0},
    "breaches-sanctions-end": {"task": "breaches.sanctions_end_sweep", "schedule": 600.0},
    # Issue 15: audit export files deleted after EXPORT_KEEP_HOURS; jobs whose worker died failed.
    "oversight-export-jobs": {"task": "oversight.export_jobs_sweep", "schedule": 60.0},
    # Issue 15: the month just ended published for the aggregate reports (its counts frozen) on the first tick after
    # it ends, not when it is first read; the other ticks find it published.
    "reports-freeze-months": {"task": "reports.freeze_months", "schedule": 3600.0},
}

# --- API -----------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.api.authentication.AgencyTokenAuthentication",
        "isp_portal.api.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["isp_portal.api.PolicyPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["isp_portal.api_input.BoundedJSONParser"],
    # An unknown ?format= (or .format suffix) is a 404 in the error shape; JSON is the only rendering, so the
    # browsable API is never served (issue 8).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "isp_portal.api.KnownFormatsOnly",
    "DEFAULT_PAGINATION_CLASS": "isp_portal.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "isp_portal.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ISP Portal API",
    "DESCRIPTION": (
        "The API of the Information Sharing Protocol portal. Agency systems authenticate with an agency API "
        "token (`Authorization: Bearer <token>`); browsers use their signed-in, two-factor-verified session. "
        "Every call passes the same access policy as the web pages and is audited."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description holds no data (it says what the API accepts and answers), so anyone may read it: an agency
    # system's developers can build against it before their token exists. The reference page stays signed-in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "isp_portal.api_schema.document_errors",
        "isp_portal.api_schema.forbid_unknown_fields",
    ],
    # Choice sets used under more than one field name get one stable component name each.
    "ENUM_NAME_OVERRIDES": {
        "AgencyStatusEnum": "agencies.models.AgencyStatus",
        "AgencyKindEnum": "agencies.models.AgencyKind",
        "RoleEnum": "agencies.models.Role",
        "ProtocolKindEnum": "protocols.models.ProtocolKind",
        "ProtocolStatusEnum": "protocols.models.ProtocolStatus",
        "ConsultationStatusEnum": "protocols.models.ConsultationStatus",
        "ConsultationOutcomeEnum": "protocols.models.Outcome",
        "ReviewStatusEnum": "protocols.models.ReviewStatus",
        "ReviewActionStatusEnum": "protocols.models.ActionStatus",
        "AliasKindEnum": "sharing.api.child_shapes.ALIAS_KINDS",
        # A consent's decision, named apart from an approval's (both are fields named "decision").
        "ConsentDecisionEnum": "consent.models.Decision",
        # The disclosures API's choice sets (disclosures.api.serializers), each under one name wherever it is used.
        "RequestStateEnum": "disclosures.api.serializers.STATES",
        "DisclosureKindEnum": "disclosures.api.serializers.KINDS",
        # A breach hearing's choice sets (breaches.api.hearings).
        "SanctionKindEnum": "breaches.models.SanctionKind",
        "HearingStageEnum": "breaches.models.HearingStage",
        "HearingVoteChoiceEnum": "breaches.models.VoteChoice",
        "UrgencyEnum": "disclosures.api.serializers.URGENCIES",
        "DisclosureTierEnum": "disclosures.api.serializers.TIERS",
        "CategoryEnum": "disclosures.api.serializers.CATEGORIES",
        "ConsentBasisEnum": "disclosures.api.serializers.CONSENT_BASES",
        "NotSoughtReasonEnum": "disclosures.api.serializers.NOT_SOUGHT_REASONS",
        "GroundEnum": "disclosures.api.serializers.GROUNDS",
        "LegalBasisEnum": "disclosures.api.serializers.LEGAL_BASES",
        "EmergencyLegalBasisEnum": "disclosures.api.serializers.EMERGENCY_BASES",
        "SubjectToldEnum": "disclosures.api.serializers.SUBJECT_TOLD",
        "EmergencyReasonEnum": "disclosures.api.serializers.EMERGENCY_REASONS",
        "DeclineReasonEnum": "disclosures.api.serializers.DECLINE_REASONS",
        "RequestDeclineReasonEnum": "disclosures.api.serializers.ALL_DECLINE_REASONS",
        "AnswerOutcomeEnum": "disclosures.api.serializers.OUTCOMES",
        "ReviewOutcomeEnum": "disclosures.api.serializers.REVIEW_OUTCOMES",
        "FollowUpEnum": "disclosures.api.serializers.FOLLOW_UPS",
        "ApprovalDecisionEnum": "disclosures.api.serializers.APPROVAL_DECISIONS",
        "DirectionEnum": "disclosures.api.serializers.DIRECTIONS",
        "RequestActionEnum": "disclosures.api.serializers.REQUEST_ACTIONS",
        "DisclosureActionEnum": "disclosures.api.serializers.DISCLOSURE_ACTIONS",
        # Issue 13 WP2: the onward API's choice sets (disclosures.api.onward).
        "OnwardStateEnum": "disclosures.api.onward.ONWARD_STATES",
        "OnwardDeclineReasonEnum": "disclosures.api.onward.ONWARD_DECLINE_REASONS",
        "OnwardActionEnum": "disclosures.api.onward.ONWARD_ACTIONS",
        # Issue 13 WP4: the disputes API's choice sets (disclosures.api.disputes); a position and an outcome share one.
        "DisputePositionEnum": "disclosures.api.disputes.POSITIONS",
        "DisputeStateEnum": "disclosures.api.disputes.STATES",
        "DisputeGroundEnum": "disclosures.api.disputes.GROUNDS",
        "DisputeActionEnum": "disclosures.api.disputes.ACTIONS",
    },
}

# --- django-guardian ---------------------------------------------------------------------------------------------
ANONYMOUS_USER_NAME = None  # no anonymous user object: anonymous people are never granted anything
GUARDIAN_RAISE_403 = False

# --- Audit chain anchors (issue 15) -----------------------------------------------------------------------------
# Where each verification's anchor (head sequence number and hash) is mailed, comma-separated. Best: a mailbox the
# portal's operators cannot rewrite. Empty (the default): every active auditor's address (audit.anchoring).
AUDIT_ANCHOR_RECIPIENTS = env_list("AUDIT_ANCHOR_RECIPIENTS")

# --- Retention of audit data (issue 15; docs/audit-retention.md) ------------------------------------------------
# Whole years the audit trail and the disclosure log are kept online. Seven: the six years that UK practice takes as
# its benchmark for keeping records (the Barnet handbook's "commonly used benchmark is 6 years"; the Limitation Act
# 1980's six years for a claim) plus the year in which a claim about the last of them may still be brought. Nothing is
# deleted when a month passes it: `manage.py audit_archive --before YYYY-MM` writes the months past it, with their
# chain links, to a file and verifies it; detaching them is the procedure in docs/audit-retention.md.
AUDIT_RETENTION_YEARS = env_int("AUDIT_RETENTION_YEARS", 7)

# --- django-auditlog -------------------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "database_outage": {"()": "isp_portal.log_filters.DatabaseOutageFilter"},
        "refusal_one_line": {"()": "isp_portal.log_filters.RefusalOneLineFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["database_outage", "refusal_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

FORM_RENDERER = "isp_portal.forms.GovukFormRenderer"

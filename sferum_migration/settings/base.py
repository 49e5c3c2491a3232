"""Settings for every environment, read from the environment (django-environ).

With nothing set the product runs on one machine: SQLite in the project folder and
Celery tasks run inline. ``DATABASE_URL`` switches to PostgreSQL and
``CELERY_BROKER_URL`` (Redis) to real workers.
"""

from datetime import date, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-embedded-defaults-only-never-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A refused form says why in the site's layout (templates/errors/403_csrf.html).
CSRF_FAILURE_VIEW = "sferum_migration.error_pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "regions",
    "metrics",
    "dashboard",
    "digests",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sferum_migration.middleware.RequestGuardMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sferum_migration.middleware.LoginRequiredMiddleware",
    "sferum_migration.middleware.RoleRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sferum_migration.urls"
WSGI_APPLICATION = "sferum_migration.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page read while an import writes; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The cache holds the API's throttle counts: with several web processes it must be shared
# (CACHE_URL=redis://…), or each process keeps its own and the limit multiplies by their number.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"  # never routed: uploads are not served back

# The first week the product accepts (any day of it): weeks before it, or after next week, are
# refused wherever a week comes in (upload form and API, the file's «Неделя» column, ?week=).
WEEK_MIN = date.fromisoformat(env("DATA_WEEK_MIN", default="2025-01-01"))

# Uploads: no Django setting bounds a file's size, the import checks it in code.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# Row errors: every one is counted by column and reason; the first UPLOAD_ERRORS_KEPT of a file are
# kept whole with the upload (issue #18: a file of nonsense carries a million); the API's answer for
# one upload lists the first UPLOAD_ERRORS_SHOWN of those, the download all that are kept.
UPLOAD_ERRORS_KEPT = env.int("UPLOAD_ERRORS_KEPT", default=10_000)
UPLOAD_ERRORS_SHOWN = env.int("UPLOAD_ERRORS_SHOWN", default=1_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Celery: unset broker means every task runs inline in the calling process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-uploads": {
        "task": "metrics.tasks.uploads_requeue_stuck_task",
        "schedule": 60.0,
    },
    "recompute-current-week": {
        "task": "metrics.tasks.kpi_current_week_recompute_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly: the job decides the week itself (the latest closed one), sends what has not gone out
    # yet and raises the alarm when a week's digests are not all out two hours after its deadline.
    "send-weekly-digests": {
        "task": "digests.tasks.digests_send_due_task",
        "schedule": crontab(minute=5),
    },
}
# An upload still `queued` this long after creation is queued again by the sweeper.
UPLOAD_REQUEUE_AFTER_SECONDS = env.int("UPLOAD_REQUEUE_AFTER_SECONDS", default=120)
# PostgreSQL: an upload `processing` whose processor's connection holds no lock lost its worker and
# is queued again at the next sweep. SQLite (jobs inline) has no such lock: there an upload
# `processing` this long is taken as lost.
UPLOAD_STALE_PROCESSING_SECONDS = env.int("UPLOAD_STALE_PROCESSING_SECONDS", default=3600)
# The database lost mid-import (restart, failover): the import is tried again after each of these
# pauses, in seconds, before the upload is marked failed; far below the broker's visibility timeout.
UPLOAD_DB_RETRY_DELAYS = tuple(env.list("UPLOAD_DB_RETRY_DELAYS", cast=int, default=[2, 4, 8, 16]))

# The reporting cycle (DESIGN.md §4.2): a week's figures are due on this weekday of the next week
# (0 = Monday) at this time, Moscow; until then the week is open and its figures provisional.
REPORTING_DEADLINE_WEEKDAY = env.int("REPORTING_DEADLINE_WEEKDAY", default=1)
REPORTING_DEADLINE_TIME = env("REPORTING_DEADLINE_TIME", default="12:00")
# A scope under this share of its registered organisations gets no verdict: insufficient_data.
COVERAGE_MIN = env.float("COVERAGE_MIN", default=0.9)

# Mail (django-environ's EMAIL_URL, as Django's MAILERS): the embedded default writes each message to
# the console, so `make run` needs no server. E.g. smtp+tls://user:password@smtp.example.ru:587 or
# smtp+ssl://user:password@smtp.example.ru:465; see the README.
# A connection or a reply that hangs this long is a failed attempt (retried), never a stuck worker.
SMTP_TIMEOUT_SECONDS = env.int("EMAIL_TIMEOUT", default=30)


def mailers_config(email: dict) -> dict:
    """Django's MAILERS from django-environ's parsed EMAIL_URL."""
    backend = email["EMAIL_BACKEND"]
    options = {}
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        options = {
            "host": email["EMAIL_HOST"] or "localhost",
            "port": email["EMAIL_PORT"],
            "username": email["EMAIL_HOST_USER"] or "",
            "password": email["EMAIL_HOST_PASSWORD"] or "",
            "use_tls": email.get("EMAIL_USE_TLS", False),
            "use_ssl": email.get("EMAIL_USE_SSL", False),
            "timeout": SMTP_TIMEOUT_SECONDS,
        }
    elif backend == "django.core.mail.backends.filebased.EmailBackend":
        options = {"file_path": email["EMAIL_FILE_PATH"] or str(BASE_DIR / "sent-mail")}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


MAILERS = mailers_config(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Сферум → MAX <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Absolute links in e-mails (the digest's region page, upload page, unsubscribe link).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Weekly digests: the delays of the retries after an SMTP failure (seconds). With a Redis broker a
# retry waits in the worker unacknowledged, so each delay plus the SMTP timeout must stay well below
# the broker's visibility_timeout, or the broker would hand the same message out twice.
DIGEST_RETRY_DELAYS = tuple(env.list("DIGEST_RETRY_DELAYS", cast=int, default=[30, 120, 300]))
# A sender's claim on a delivery older than this is taken to be a dead sender's.
DIGEST_CLAIM_TIMEOUT_SECONDS = env.int("DIGEST_CLAIM_TIMEOUT_SECONDS", default=600)
# The alarm: a closed week's digests not all sent (or skipped) this long after its deadline.
DIGEST_ALARM_AFTER_MINUTES = env.int("DIGEST_ALARM_AFTER_MINUTES", default=120)
# Data-quality checks of every upload (DESIGN.md §5.1; metrics.quality.QualityThresholds, README
# «Качество данных»). Shares and KPI changes are fractions: 0.15 is 15 p.p.
QUALITY_SAME_AS_PREVIOUS_SHARE = env.float("QUALITY_SAME_AS_PREVIOUS_SHARE", default=0.9)
QUALITY_BASE_JUMP_SHARE = env.float("QUALITY_BASE_JUMP_SHARE", default=0.2)
QUALITY_BASE_JUMP_PEOPLE = env.int("QUALITY_BASE_JUMP_PEOPLE", default=20)
QUALITY_DROP_TO_ZERO_MIN_PREVIOUS = env.int("QUALITY_DROP_TO_ZERO_MIN_PREVIOUS", default=5)
QUALITY_DROP_TO_ZERO_MIN_SHARE = env.float("QUALITY_DROP_TO_ZERO_MIN_SHARE", default=0.05)
QUALITY_OUTLIER_Z = env.float("QUALITY_OUTLIER_Z", default=3.5)
QUALITY_OUTLIER_WEEKS = env.int("QUALITY_OUTLIER_WEEKS", default=8)
QUALITY_OUTLIER_MIN_WEEKS = env.int("QUALITY_OUTLIER_MIN_WEEKS", default=4)
QUALITY_OUTLIER_MIN_CHANGE = env.float("QUALITY_OUTLIER_MIN_CHANGE", default=0.10)
QUALITY_OUTLIER_MIN_BASE = env.int("QUALITY_OUTLIER_MIN_BASE", default=20)
QUALITY_OUTLIER_MIN_PEERS = env.int("QUALITY_OUTLIER_MIN_PEERS", default=3)
QUALITY_IDENTICAL_ROWS = env.int("QUALITY_IDENTICAL_ROWS", default=10)
QUALITY_REGION_SWING = env.float("QUALITY_REGION_SWING", default=0.15)
# Warnings kept per code and upload (the counts stay exact): a file with a column left empty
# carries one warning per row.
QUALITY_WARNINGS_STORED_PER_CODE = env.int("QUALITY_WARNINGS_STORED_PER_CODE", default=1000)
# API tokens (django-rest-knox): stored as hashes, each with an expiry; `Authorization: Token …`.
# The project's own token model also binds a token to the account's password and role.
KNOX_TOKEN_MODEL = "regions.ApiToken"  # noqa: S105 (a model name, not a secret)
MIGRATION_MODULES = {"knox": None}  # knox's own token table is swapped out: nothing of it to create
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "regions.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Any role reads; the read-only role (external systems) never writes; no role, no access.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "regions.api.permissions.RolePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "sferum_migration.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "sferum_migration.api.ApiPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "sferum_migration.api_schema.ApiAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "sferum_migration.throttling.UserRateThrottle",
        "sferum_migration.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="600/minute"),
        "anon": env("API_THROTTLE_ANON", default="30/minute"),
    },
    # Proxies in front of the app that append to X-Forwarded-For (1 behind one nginx). With 0 the
    # header is ignored and the address limits count the connection's address: a client could put
    # anything in that header and never be limited.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": _("Сферум → MAX: API мониторинга перехода"),
    "DESCRIPTION": _(
        "KPI перехода Сферума в национальный мессенджер MAX по регионам и неделям. "
        "Токен: `POST /api/v1/auth/token/`, затем заголовок `Authorization: Token <token>`. "
        "Доли (`value`, `target`) — в [0, 1]; `value` null — нет данных. "
        'Ошибки — JSON `{"detail": …}` или `{поле: [сообщения]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and Swagger UI: a role is needed, as for every other call.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "regions.api.permissions.RolePermission"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "KpiCodeEnum": "metrics.choices.KpiCode",
        "ScheduleStatusEnum": "metrics.choices.ScheduleStatus",
        "ReportingStatusEnum": "metrics.choices.ReportingStatus",
        "UploadStatusEnum": "metrics.choices.UploadStatus",
        "UploadModeEnum": "metrics.choices.UploadMode",
        "OrganisationKindEnum": "regions.choices.OrganisationKind",
        "BlockingEnum": "metrics.api.serializers.BLOCKING_CHOICES",
    },
}

# Login brute force: lock a username + address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Content-Security-Policy (Django's own). Plotly's strict bundle needs no eval; it injects
# <style> elements, and its PNG export draws through blob: images.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

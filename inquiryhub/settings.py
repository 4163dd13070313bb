"""InquiryHub settings: one module, every deployment value read from the environment.

A bad value stops start-up with ImproperlyConfigured rather than running half-configured.
"""

import os
import zoneinfo
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("INQUIRYHUB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (set DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts.apps.AccountsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",
    "inquiryhub.apps.InquiryHubConfig",
    "accounts",
    "inquiries",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the query string: a NUL byte or a 30-digit integer is a 400.
    "inquiryhub.middleware.QueryStringGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "inquiryhub.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The app's 404 page under DEBUG too (Django's own would list the URLs).
    "inquiryhub.errors.NotFoundPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inquiryhub.urls"
CSRF_FAILURE_VIEW = "inquiryhub.errors.csrf_failure"
WSGI_APPLICATION = "inquiryhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inquiryhub.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL, dj-database-url style; a SQLite file in var/ when unset.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'inquiryhub.sqlite3'}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL I understand: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Several processes (web, worker, beat) share the file on a laptop.
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault("NAME", os.environ.get("TEST_DATABASE_NAME") or None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A covering index (INCLUDE) serves the reports on PostgreSQL; SQLite builds it without the extra
# columns, which is harmless on a laptop-sized database.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login protection: lock the pair (username, address) so an attacker cannot lock everyone out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The real client's address, not the proxy's (see inquiryhub/client.py and DJANGO_BEHIND_PROXY).
AXES_CLIENT_IP_CALLABLE = "inquiryhub.client.client_address"
# Password reset e-mails: per client address and per e-mail address, in an hour.
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 5, minimum=1)
PASSWORD_RESET_PER_EMAIL = env_int("PASSWORD_RESET_PER_EMAIL", 3, minimum=1)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Internationalisation: Chinese first, English the alternative; times in the company's zone.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not an IANA time zone name.") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # The Chinese font from its PyPI package (inquiryhub/fonts.py), as static/fonts/.
    "inquiryhub.fonts.FontFinder",
]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Exports of the inquiry list hold buyers' contacts: kept outside MEDIA_ROOT, served only by a view
# that checks who asks.
EXPORTS_ROOT = Path(os.environ.get("EXPORTS_ROOT", VAR_DIR / "exports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: the importer streams large files from disk, never from memory.
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 50, minimum=1)
# Untrusted workbooks: at most this many data rows in one file, and an xlsx (a zip) may unpack to
# at most this many MB; anything larger is refused whole before a row is read (zip bombs).
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 2_000_000, minimum=1)
IMPORT_MAX_UNPACKED_MB = env_int("IMPORT_MAX_UNPACKED_MB", 256, minimum=1)
# What opening one file may cost (issue 13, item 5; measured in docs/decisions.md): an xlsx may
# unpack to at most this many times its size, its shared strings (held in memory whole) to this
# many MB, and an import job stops, failed with a clear message, after this many seconds.
IMPORT_MAX_UNPACK_RATIO = env_int("IMPORT_MAX_UNPACK_RATIO", 100, minimum=2)
IMPORT_MAX_SHARED_STRINGS_MB = env_int("IMPORT_MAX_SHARED_STRINGS_MB", 32, minimum=1)
# 50 minutes: the largest file allowed (IMPORT_MAX_ROWS) at ~1,000 rows a second on a busy
# two-core server. The import task's hard limit (this + 180 s, inquiries/tasks.py) stays below
# the broker's default one-hour redelivery (CELERY_VISIBILITY_TIMEOUT); raise both together.
IMPORT_MAX_SECONDS = env_int("IMPORT_MAX_SECONDS", 50 * 60, minimum=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Redis: broker and cache when REDIS_URL is set; otherwise everything stays on this machine.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://; got {REDIS_URL!r}.")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A job whose worker died unacknowledged is redelivered after this; time limits stay below it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60, minimum=5),
        # How often a worker looks for such jobs: every interval × throttle seconds (kombu's
        # defaults, 10 × 10); the fault tests shorten it to see a redelivery within seconds.
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10, minimum=1),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10, minimum=1),
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # Embedded broker for a laptop: kombu's filesystem transport, no server needed.
    _broker_dir = VAR_DIR / "broker"
    # Whichever process starts first (web, worker, a command) makes the folders the transport needs.
    for _folder in ("queue", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host named, or kombu warns "No hostname was supplied"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60, minimum=2)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - min(5 * 60, CELERY_TASK_TIME_LIMIT // 2)
if REDIS_URL and CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must stay below CELERY_VISIBILITY_TIMEOUT, or a long job runs twice at once."
    )
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# crontab times are in CELERY_TIMEZONE, the company's zone.
CELERY_BEAT_SCHEDULE: dict = {
    # /healthz reports a worker stale when this has not run for WORKER_HEARTBEAT_STALE_SECONDS.
    "worker-heartbeat": {"task": "inquiryhub.heartbeat", "schedule": 60.0},
    # Every quarter of an hour: replies past their deadline are marked, notified, maybe reallocated.
    "reply-deadlines": {"task": "inquiries.check_reply_deadlines", "schedule": 15 * 60},
    # Every hour: owners warned, then stale inquiries returned to the public pool (公海).
    "pool-recycle": {"task": "inquiries.recycle_to_pool", "schedule": crontab(minute=5)},
    # Every night: recompute the months still provisional; freeze those that just turned final.
    "reports-recompute-provisional": {
        "task": "reports.recompute_provisional",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every night: one-time form tokens too old to be posted again, so that the table stays small.
    "inquiries-purge-form-submissions": {
        "task": "inquiries.purge_form_submissions",
        "schedule": crontab(hour=3, minute=15),
    },
    # 09:00 company time: each salesperson's morning digest on their chat robot.
    "inquiries-morning-digest": {"task": "inquiries.morning_digest", "schedule": crontab(hour=9, minute=0)},
    # Chat messages whose retry is due, or whose job was lost, are sent; stuck sends are settled.
    "notify-sweep": {"task": "accounts.notify_sweep", "schedule": 60.0},
    # On the 1st, before the monthly meeting: last month's report to the boss.
    "reports-email-monthly-report": {
        "task": "reports.email_monthly_report",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
    },
}
WORKER_HEARTBEAT_STALE_SECONDS = env_int("WORKER_HEARTBEAT_STALE_SECONDS", 300, minimum=60)
# A running import writes a heartbeat with each batch (seconds at most); one older than this has
# lost its worker (killed, out of memory): its page and /healthz say so.
IMPORT_HEARTBEAT_STALE_SECONDS = env_int("IMPORT_HEARTBEAT_STALE_SECONDS", 300, minimum=60)
# Long imports and report computations must not hold up the small, frequent jobs.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "inquiries.import_*": {"queue": "imports"},
    # A big export of the list is a long read: it waits with the reports, not before the deadlines.
    "inquiries.export_*": {"queue": "reports"},
    "reports.*": {"queue": "reports"},
}
CELERY_WORKER_QUEUES = ["default", "imports", "reports"]

# Email: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "InquiryHub <noreply@inquiryhub.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Chat alerts through WeCom and DingTalk group robots (accounts/notify/). The server posts only to
# these origins, per kind: any other robot address is refused when saved and again when sent, so a
# robot cannot be used for server-side request forgery.
NOTIFY_ROBOT_ORIGINS = {
    "wecom": ["https://qyapi.weixin.qq.com"],
    "dingtalk": ["https://oapi.dingtalk.com"],
}
# For the tests' loopback robot only (http://127.0.0.1:PORT); never set in production.
for _origin in env_list("NOTIFY_EXTRA_ROBOT_ORIGINS", []):
    for _origins in NOTIFY_ROBOT_ORIGINS.values():
        _origins.append(_origin.rstrip("/"))
NOTIFY_HTTP_TIMEOUT = env_int("NOTIFY_HTTP_TIMEOUT", 10, minimum=1)
# Posts per robot per window: WeCom and DingTalk both allow 20 a minute; we stay under it.
NOTIFY_ROBOT_RATE = env_int("NOTIFY_ROBOT_RATE", 18, minimum=1)
NOTIFY_ROBOT_RATE_WINDOW = env_int("NOTIFY_ROBOT_RATE_WINDOW", 60, minimum=1)
# Retries of a message: backoff from NOTIFY_RETRY_BASE_SECONDS doubling, at most this many tries.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 15, minimum=0)
# A send claimed this long ago and never finished (its worker died mid-send) is settled as
# "unconfirmed", never resent by itself: the robot may have posted it already.
NOTIFY_SENDING_STALE_SECONDS = env_int("NOTIFY_SENDING_STALE_SECONDS", 120, minimum=1)
# After this many failed posts in a row a robot is marked failing and stops being tried.
NOTIFY_ROBOT_FAILING_AFTER = env_int("NOTIFY_ROBOT_FAILING_AFTER", 5, minimum=1)
if NOTIFY_SENDING_STALE_SECONDS <= NOTIFY_HTTP_TIMEOUT:
    raise ImproperlyConfigured("NOTIFY_SENDING_STALE_SECONDS must be longer than NOTIFY_HTTP_TIMEOUT.")

# Security headers. HTTPS settings follow the environment so check --deploy can be satisfied.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# Behind the documented nginx: trust its X-Forwarded-Proto and X-Forwarded-For, from it only.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
PROXY_ADDRESSES = env_list("DJANGO_PROXY_ADDRESSES", ["127.0.0.1", "::1"])
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

DJANGO_TABLES2_TEMPLATE = "tables/table.html"

# One line per event: a refused request without its traceback, no line for the minutely heartbeat.
# The Celery worker and beat log through this too (inquiryhub/celery.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "refused_request": {"()": "inquiryhub.logs.RefusedRequestFilter"},
        "routine_task": {"()": "inquiryhub.logs.RoutineTaskFilter"},
        "dev_server": {"()": "inquiryhub.logs.DevServerFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["refused_request", "routine_task"],
        },
        "dev_server": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["dev_server"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every request's full URL at INFO: a robot's URL holds its key.
    "loggers": {
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's default adds its own console handler under DEBUG: every warning would print twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["dev_server"], "level": "INFO", "propagate": False},
    },
}

# Services that tests need: with REQUIRE_SERVICES=1 a missing one fails instead of skipping.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", False)

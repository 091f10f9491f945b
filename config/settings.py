"""Shelfshare settings: every value can be overridden by the environment or a .env file.

The embedded defaults (SQLite, a filesystem broker for the worker, console email) give the
one-command start; production sets DATABASE_URL, REDIS_URL, EMAIL_URL,
SECRET_KEY, ALLOWED_HOSTS and DEBUG=off.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.mailers import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env), "
            "or set DEBUG=on for a development key."
        )
    SECRET_KEY = "django-insecure-dev-only-shelfshare-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    # The API's docs page (Swagger UI) is served from the package's own static files.
    "ninja",
    "core",
    "accounts",
    "partners",
    "inventory",
    "tasks",
    "aggregation",
    "home",
    "demo",
]

MIDDLEWARE = [
    # An id for every request (X-Request-ID, or a new one), in its log lines (core/logs.py).
    "core.logs.RequestIdMiddleware",
    # /healthz and /readyz answer before the HTTPS redirect and the host check (core/health.py).
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.tenancy.CurrentOrganizationMiddleware",
    "core.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "accounts.context_processors.organization",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one per request costs PostgreSQL a process fork and
# more time than a page's queries (measured by bench/bench_inventory_page.py).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has three processes on one file (web, worker, beat). WAL lets
    # pages read while a job writes; IMMEDIATE takes the write lock when a transaction
    # starts, so two writers queue up (for `timeout` seconds) instead of one failing with
    # "database is locked" when it upgrades a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The organization every tenant-owned row belongs to; apps below accounts (core) name it
# through this setting instead of importing it.
TENANT_MODEL = "accounts.Organization"
AUTHENTICATION_BACKENDS = [
    # Axes first so that a locked-out attempt never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins are throttled per (account, address) pair: an attacker guessing
# from one address cannot lock the real user out from another.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, which holds the email
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client address axes counts (accounts.throttling.client_ip): behind N trusted
# reverse proxies, the N-th address from the right of X-Forwarded-For; with none,
# the socket address, since a forwarded header would be the client's own word.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"

INVITATION_MAX_AGE = timedelta(days=env.int("INVITATION_MAX_AGE_DAYS", default=7))
PARTNER_LINK_MAX_AGE = timedelta(days=env.int("PARTNER_LINK_MAX_AGE_DAYS", default=14))
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)
# Password reset emails, counted in the cache per client address and per email address.
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_WINDOW_MINUTES = env.int("PASSWORD_RESET_LIMIT_WINDOW_MINUTES", default=60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Email: EMAIL_URL (console://, file:///path, smtp://user:pass@host:port,
# smtp+tls://...) mapped onto Django 6.1's MAILERS.
MAILERS = {"default": mailer_from_url(env.str("EMAIL_URL", default="console://"))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shelfshare <no-reply@shelfshare.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in emails are built from this, never from the request's Host header.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Uploads through the import machinery (accounts/imports).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=128 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=2_000_000)
IMPORT_MAX_LINE_LENGTH = env.int("IMPORT_MAX_LINE_LENGTH", default=20_000)
# Files with more rows than this are applied by a background job with a progress bar.
IMPORT_INLINE_MAX_ROWS = env.int("IMPORT_INLINE_MAX_ROWS", default=2_000)
# An import still queued or writing after this long is failed by a sweep (its job was lost
# or its worker died); the page then says so instead of "Importing…" forever.
IMPORT_STUCK_AFTER_MINUTES = env.int(
    "IMPORT_STUCK_AFTER_MINUTES", default=env.int("JOB_STUCK_AFTER_MINUTES", default=30)
)

# Store connectors (Shopify, WooCommerce: aggregation/sources.py). Their credentials are
# encrypted at rest with Fernet (aggregation/credentials.py) under CONNECTOR_CREDENTIALS_KEY:
# one or more url-safe base64 32-byte keys, comma-separated, the first encrypting and all
# decrypting (so a key can be rotated). Without it the key is derived from SECRET_KEY:
# fine for development and tests, and safe in production (SECRET_KEY is required there),
# but then changing SECRET_KEY makes the saved credentials unreadable: each connection
# then says to enter them again. Set it in production to rotate the two apart.
CONNECTOR_CREDENTIALS_KEY = env.list("CONNECTOR_CREDENTIALS_KEY", default=[])
# Shops are reached over https only. Tests and development point connections at local fake
# servers (http://127.0.0.1:port); nothing else may be plain http or a private address.
CONNECTOR_ALLOW_HTTP_LOCALHOST = env.bool("CONNECTOR_ALLOW_HTTP_LOCALHOST", default=DEBUG)
# Seconds to wait for a shop's answer, and how often a 429 or 5xx is tried again.
CONNECTOR_TIMEOUT_SECONDS = env.float("CONNECTOR_TIMEOUT_SECONDS", default=30.0)
CONNECTOR_RETRIES = env.int("CONNECTOR_RETRIES", default=5)

# Store visits: a check-in by location lists the shared stores within this radius, and a
# check-in farther than it from the store is allowed but flagged. Stores of different
# owners within VISIT_SAME_PLACE_METERS of each other are one place on the visit page.
VISIT_RADIUS_METERS = env.int("VISIT_RADIUS_METERS", default=300)
VISIT_SAME_PLACE_METERS = env.int("VISIT_SAME_PLACE_METERS", default=60)
TASK_PHOTOS_PER_UPDATE = env.int("TASK_PHOTOS_PER_UPDATE", default=5)

# Photos attached to merchandising tasks as proof of work (tasks/photos.py). The pixel
# limit is read from the image header, so a decompression bomb is refused before decoding.
TASK_PHOTO_MAX_BYTES = env.int("TASK_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
TASK_PHOTO_MAX_PIXELS = env.int("TASK_PHOTO_MAX_PIXELS", default=40_000_000)

# The API (config/api.py): requests per token per window, and the largest body a batch
# of 10,000 rows needs (a sales line is about 200 bytes of JSON). Forms are far smaller.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
# Live (unrevoked, unexpired) API tokens an organization may hold at once.
API_TOKENS_PER_ORGANIZATION = env.int("API_TOKENS_PER_ORGANIZATION", default=25)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)

# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A file over IMPORT_MAX_BYTES is refused as it arrives: its bytes past the limit are
# counted, never kept.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Where seed_demo, the real-file tests and the benchmarks find the public retail files: a
# copy kept in the repository (demo/data/README.md says where each came from).
DEMO_DATA_DIR = Path(env.str("DEMO_DATA_DIR", default=str(BASE_DIR / "demo" / "data")))

# What the processes of the embedded default share on disk: the broker's messages, the
# cache, beat's schedule (`make run`).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
            # A page that counts or reads something in the cache (the password-reset
            # throttle, an import's progress) must not hang on a Redis that is down.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if env.str("REDIS_URL", default="")
        # The embedded default's web server and worker are separate processes: an import's
        # progress written by the worker must be read by the page, so the cache is files
        # under var/ (VAR_DIR), not each process's memory.
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# Log lines: plain text for a developer, one JSON object a line in production, each with
# the request id and the organization id (core/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")

# Celery. Jobs run in a worker: `make run` starts the web server, a worker and beat
# together (Procfile). With REDIS_URL the broker is Redis; without it, kombu's filesystem
# transport under var/broker/ (the embedded default: nothing to install). Job state is kept
# in the database (LoadRun, ImportBatch, the outbox, MasterAccount's plan times), never in
# Celery results, so no result backend is needed without Redis. Jobs run in-process
# (eager) only where a test asks for it (config/settings_test.py) or a benchmark does.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Short jobs (an email, a sweep). Long ones (an import applied in the background, "Load data
# from all connections", a rollup refresh, a plan rebuild) set LONG_JOB_* in their decorator.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
LONG_JOB_SOFT_TIME_LIMIT = env.int("LONG_JOB_SOFT_TIME_LIMIT", default=1200)
LONG_JOB_TIME_LIMIT = env.int("LONG_JOB_TIME_LIMIT", default=1260)
# A job taken by a worker that then died is given back by Redis after the visibility
# timeout. It must be longer than the longest job may run (else a job still running is
# handed to a second worker), and not much longer, or a lost job waits for nothing (Redis's
# default is an hour). A redelivered job finds its run still marked running and takes it
# over once that run's lease (the job's hard time limit) has passed.
BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=LONG_JOB_TIME_LIMIT + 120)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With JSON logs the worker writes through LOGGING (below) instead of its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# A request queues its jobs after it commits (core/queue.py) and must not hang on a broker
# that is down: each connection attempt gives up after this many seconds. Redis takes it as
# a transport option; without one, a host that drops packets holds the socket for minutes.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        # Look for messages past their visibility timeout every 10 s (default: ~100 s).
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    }
else:
    # kombu reads and writes these folders but does not make them. A message is a file,
    # removed when a worker takes it: a worker killed mid-job loses it, and the sweeps in
    # the beat schedule (below) re-queue or fail what it was doing.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
# Each kind of work has its own queue, so a long refresh never delays an email; the
# Procfile's worker consumes them all, and a deployment may run a worker per queue (README).
# The prefix gives each test process its own queues (tests/conftest.py).
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
JOB_QUEUES = {
    "emails": ["core.send_outbox_email", "core.retry_outbox_emails"],
    "imports": ["core.apply_import"],
    "rollups": [
        "aggregation.load_all_connections",
        "aggregation.refresh_rollups",
        "aggregation.refresh_all_rollups",
        "aggregation.rebuild_plan",
        "aggregation.score_forecasts",
        "aggregation.preview_plan_settings",
    ],
    # The sweeps, and any job not named above.
    "default": ["core.fail_stuck_imports", "aggregation.recover_stuck_runs"],
}
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}default"
CELERY_TASK_ROUTES = {
    job: {"queue": f"{CELERY_QUEUE_PREFIX}{queue}"}
    for queue, jobs in JOB_QUEUES.items()
    for job in jobs
}
# How long a load run, an import or a plan rebuild may stay queued or running before the
# sweeps below re-queue or fail it: longer than a long job's hard limit plus the broker's
# visibility timeout, so a redelivered job gets its chance first.
JOB_STUCK_AFTER_MINUTES = env.int("JOB_STUCK_AFTER_MINUTES", default=30)
CELERY_BEAT_SCHEDULE = {
    "refresh-all-rollups": {
        "task": "aggregation.refresh_all_rollups",
        "schedule": env.float("ROLLUP_REFRESH_SECONDS", default=3600.0),
    },
    "retry-outbox-emails": {
        "task": "core.retry_outbox_emails",
        "schedule": 60.0,
    },
    "fail-stuck-imports": {
        "task": "core.fail_stuck_imports",
        "schedule": 60.0,  # it also sends what waited for the broker
    },
    "recover-stuck-runs": {
        "task": "aggregation.recover_stuck_runs",
        "schedule": 60.0,
    },
}

# Content-Security-Policy: no inline scripts, nothing from other hosts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "core.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"}},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

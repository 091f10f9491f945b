"""Test settings: the same settings, with a fast hasher, locmem email and eager jobs.

DATABASE_URL and REDIS_URL still come from the environment, so the suite runs
on SQLite by default and on PostgreSQL + Redis in CI. Tests marked `worker`
switch eager mode off and use a real Celery worker.
"""

import os

os.environ.setdefault("DEBUG", "on")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-for-the-shelfshare-suite-0123456789")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Jobs run in-process, at once (tests marked `worker` switch this off and use a real worker).
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
if not REDIS_URL:  # noqa: F405
    # Each test process its own cache: no throttle count or progress shared between runs.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SITE_URL = "http://testserver"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
LOGGING["loggers"]["axes"]["level"] = "ERROR"  # noqa: F405

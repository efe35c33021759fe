"""Tests: the same real PostgreSQL and Redis (embedded unless URLs are set), Argon2 as in production."""

import os
from pathlib import Path

from .development import *  # noqa: F403
from .env import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="test-insecure-pumpjack-key-0123456789abcdef0123456789")
ALLOWED_HOSTS = ["*"]
# One name per test run, so that several runs (and the dev server) can share the servers.
TEST_RUN_ID = env.str("PUMPJACK_TEST_RUN", default=str(os.getpid()))
DATABASES["default"]["TEST"] = {"NAME": f"test_pumpjack_{TEST_RUN_ID}"}  # noqa: F405
CACHES = cache_settings(REDIS_URL, key_prefix=f"pjtest{TEST_RUN_ID}")  # noqa: F405
# Uploaded files of a test run go to a folder of its own, not the development media folder.
MEDIA_ROOT = Path(env.str("PUMPJACK_TEST_MEDIA", default=f"/tmp/pumpjack-test-media-{TEST_RUN_ID}"))
# A queue of its own, so that a `make run` worker on the same Redis never takes a test's tasks.
CELERY_TASK_DEFAULT_QUEUE = f"pumpjack-test-{TEST_RUN_ID}"
# Tests create and discard many users; Argon2 stays (it is what is under test) with lighter costs.
PASSWORD_HASHERS = ["accounts.hashers.TestArgon2PasswordHasher"]
TENANT_SECRET_ARGON2 = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
LOGGING["root"]["level"] = env.str("LOG_LEVEL", default="WARNING")  # noqa: F405
# The line per request only when asked for (a live server whose log a test reads sets it).
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=False)
LOGGING["loggers"]["pumpjack.request"]["level"] = "INFO" if LOG_REQUESTS else "WARNING"  # noqa: F405
# Tests move tenants with no request in flight.
TENANT_MOVE_SETTLE_SECONDS = 0
# Templates name static files without the hash and WhiteNoise finds them in the apps: tests do
# not depend on a collectstatic run (the manifest storage of make run needs one).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # nothing is collected in tests (WhiteNoise would warn about a missing folder)

"""Development (``make run``, management commands): embedded servers unless URLs are set."""

from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .database import DATABASE_ROUTERS, database_settings  # noqa: F401
from .env import env
from .logging import *  # noqa: F403
from .redis import broker_url, cache_settings, redis_url
from .security import *  # noqa: F403
from .tasks import *  # noqa: F403
from .tenancy import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development key only; production refuses to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-pumpjack-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", ".localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=["http://localhost:8000", "http://*.localhost:8000"]
)

DATABASES = {"default": database_settings(allow_embedded=True)}
REDIS_URL = redis_url(allow_embedded=True)
CACHES = cache_settings(REDIS_URL, key_prefix="pj")
CELERY_BROKER_URL = broker_url(REDIS_URL)
# Alert e-mails (wells.alerts) are printed by the console backend unless another is set.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="alerts@pumpjack.localhost")

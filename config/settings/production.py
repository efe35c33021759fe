"""Production: refuses to start without SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, PUMPJACK_ENCRYPTION_KEY and
METRICS_TOKEN (and REDIS_URL)."""

from django.core.exceptions import ImproperlyConfigured

from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .database import DATABASE_ROUTERS, database_settings  # noqa: F401
from .env import env
from .logging import *  # noqa: F403
from .redis import broker_url, cache_settings, redis_url
from .security import *  # noqa: F403
from .tasks import *  # noqa: F403
from .tenancy import *  # noqa: F403

_missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PUMPJACK_ENCRYPTION_KEY",
                             "METRICS_TOKEN")
            if not env.str(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": database_settings(allow_embedded=False)}
REDIS_URL = redis_url(allow_embedded=False)
CACHES = cache_settings(REDIS_URL, key_prefix="pj")
CELERY_BROKER_URL = broker_url(REDIS_URL)

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

try:  # a malformed key would only show when the first ETL source is saved: refuse to start instead
    from cryptography.fernet import Fernet

    [Fernet(key.strip()) for key in PUMPJACK_ENCRYPTION_KEY.split(",") if key.strip()]  # noqa: F405
except ValueError:
    raise ImproperlyConfigured("PUMPJACK_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64 bytes each), "
                               "comma-separated to rotate.") from None

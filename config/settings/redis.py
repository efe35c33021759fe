"""Redis (cache, broker): REDIS_URL, or the embedded server when it is unset."""

from .env import env


def redis_url(*, allow_embedded: bool) -> str:
    url = env.str("REDIS_URL", default="")
    if url:
        return url
    if not allow_embedded:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("REDIS_URL must be set with production settings.")
    from config import embedded

    return embedded.ensure_redis().url


def broker_url(url: str) -> str:
    """Kombu spells a Unix socket URL ``redis+socket://``; redis-py spells it ``unix://``."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://").split("?")[0]
    return url


def cache_settings(url: str, *, key_prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            "TIMEOUT": 300,
        }
    }

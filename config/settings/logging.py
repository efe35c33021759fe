"""Logging: one JSON object per line on stderr (config.logs; LOG_FORMAT=plain for a readable
line), never a secret (see accounts.audit for what is recorded). ``pumpjack.request`` is the
line per request (config.middleware); LOG_REQUESTS=false turns it off."""

from .env import env

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "plain": {"()": "config.logs.PlainFormatter"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain" if LOG_FORMAT == "plain" else "json"}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own line per request (runserver) and per 4xx/5xx would repeat the request line.
        "django.server": {"level": "WARNING"},
        "pumpjack.request": {"level": "INFO" if LOG_REQUESTS else "WARNING"},
    },
}

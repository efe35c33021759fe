import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

from config.lean_imports import drf_unused_extras_skipped  # noqa: E402

drf_unused_extras_skipped()  # ~7 MB a worker where requests, markdown, pygments are installed
application = get_asgi_application()

from config.warmup import warm  # noqa: E402

warm()  # the URL configurations and their views imported before the first request (config.warmup)

# See config/wsgi.py: start-up objects frozen, full collections three times as often.
gc.freeze()
gc.set_threshold(700, 10, 3)
from tenants.directory import TenantDirectory  # noqa: E402

TenantDirectory.freeze_entries_every = 100

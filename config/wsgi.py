import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

from config.lean_imports import drf_unused_extras_skipped  # noqa: E402

drf_unused_extras_skipped()  # ~7 MB a worker where requests, markdown, pygments are installed
application = get_wsgi_application()

from config.warmup import warm  # noqa: E402

warm()  # the URL configurations and their views imported before the first request (config.warmup)

# Memory of a long-lived worker: each request leaves reference cycles (request, response, view)
# that only a full collection frees, and by default full collections are rare, so the garbage of
# thousands of requests piles up. Objects made at start-up (modules, settings, URL patterns) are
# never garbage: freezing them makes a full collection cheap enough to run three times as often.
gc.freeze()
gc.set_threshold(700, 10, 3)
# The same for the tenants a worker serves, in batches (tenants.directory).
from tenants.directory import TenantDirectory  # noqa: E402

TenantDirectory.freeze_entries_every = 100

"""Work a web worker does once, done before its first request (config.wsgi, config.asgi).

Django imports the URL configurations, and with them every view, serializer and selector
module, on the first request: measured 0.6 s of a cold worker's first /api/v1/me on this 2-core
machine (1.9 s in all under load), paid by the first requests of every new worker (start-up,
reload, a worker replaced) while the others queue behind it. Importing them here makes that part
of booting, before ``gc.freeze()`` moves the modules out of the collector's way.
"""

from __future__ import annotations


def warm() -> None:
    from django.conf import settings
    from django.urls import get_resolver

    for urlconf in {settings.ROOT_URLCONF, getattr(settings, "PUBLIC_SCHEMA_URLCONF", settings.ROOT_URLCONF)}:
        resolver = get_resolver(urlconf)
        resolver.url_patterns  # noqa: B018  (imports the views)
        resolver._populate()  # the reverse-lookup tables, built on the first reverse() otherwise

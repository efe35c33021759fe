"""Optional packages a web worker would import and never use (config.wsgi, config.asgi).

Django REST framework imports some packages when they are installed (``rest_framework.compat``):
``requests`` for its test client (``rest_framework.test.RequestsClient``), and ``markdown`` and
``pygments`` for the browsable API (view descriptions, highlighting). Pumpjack's API renders JSON
only (``config.settings.api``), so a web worker never uses any of them. Where they are installed
(the test and client extras of a development environment; many server images as another
package's dependency) they cost every worker about 7 MB: measured 79.7 -> 72.5 MB once a
worker has started (bench/serve.py measures the worker after 10,000 requests).

``drf_unused_extras_skipped()`` imports ``rest_framework.compat`` with those packages hidden, so
that Django REST framework takes them as not installed, then leaves them importable again for any
other code. ``markdown`` and ``pygments`` are kept for Django REST framework when a browsable
renderer is configured.

It runs before Django is set up: it reads the settings (which need no set-up) and imports
nothing of Django's but them and ``rest_framework.compat``.
"""

from __future__ import annotations

import sys

# Used by Django REST framework only in its test client: never by a server.
UNUSED_ALWAYS = ("requests",)
# Used only by the browsable API's renderer.
UNUSED_WITHOUT_BROWSABLE_API = ("markdown", "pygments")


def unused_extras() -> tuple[str, ...]:
    from django.conf import settings

    renderers = (getattr(settings, "REST_FRAMEWORK", None) or {}).get("DEFAULT_RENDERER_CLASSES")
    # Django REST framework's default renderers include the browsable API.
    browsable = renderers is None or any("Browsable" in str(renderer) for renderer in renderers)
    return UNUSED_ALWAYS + (() if browsable else UNUSED_WITHOUT_BROWSABLE_API)


def drf_unused_extras_skipped() -> tuple[str, ...]:
    """Import ``rest_framework.compat`` without the extras it would not use here; the names
    hidden from it (none if it was imported already)."""
    if "rest_framework.compat" in sys.modules:
        return ()
    names = unused_extras()
    absent = object()
    before = {name: sys.modules.get(name, absent) for name in names}
    try:
        for name in names:
            sys.modules[name] = None  # "import requests" raises ImportError, as without the package
        import rest_framework.compat  # noqa: F401
    finally:
        for name, module in before.items():
            if module is absent:
                del sys.modules[name]
            else:  # imported (or hidden) earlier by someone else: left as it was
                sys.modules[name] = module
    return names

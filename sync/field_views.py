"""The field web app (API.md section 17): the shell page at /field/ and its service worker at
/field/sw.js, both on a tenant's sub-domain.

The shell holds no tenant data beyond the tenant's name, public ID and time zone (the ID is public
by design: a device sends it on every call); everything else comes from the API with the three
credentials. The service worker is served from /field/ (not /static/) so that its scope is
/field/; its first lines name the shell's files and a version computed from their content, so
any change to the app makes a new worker, which installs a new cache and drops the old one.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.views.decorators.http import require_GET

# The app shell: what the service worker caches so that /field/ opens with no network.
SHELL_FILES = (
    "field/app.js", "field/db.js", "field/api.js", "field/sync.js", "field/forms.js", "field/gauge.js",
    "field/validate.js", "field/field.css", "field/manifest.webmanifest",
    "field/icons/icon-192.png", "field/icons/icon-512.png", "field/icons/icon.svg",
)
SHELL_TEMPLATE = "field/index.html"


def _tenant_or_404(request):
    entry = getattr(request, "tenant_entry", None)
    if entry is None:  # the base domain: the app lives on a tenant's sub-domain
        raise Http404("The field app is on your company's own address, e.g. acme.pumpjack.example/field/.")
    return entry.tenant


@functools.lru_cache(maxsize=1)
def shell_version() -> str:
    """A digest of every shell file and the shell template: a new one for any change."""
    digest = hashlib.sha256()
    for name in SHELL_FILES + ("field/sw.js",):
        path = finders.find(name)
        digest.update(name.encode())
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    template = get_template(SHELL_TEMPLATE)
    with open(template.origin.name, "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()[:16]


@require_GET
def field_shell(request):
    tenant = _tenant_or_404(request)
    response = render(request, SHELL_TEMPLATE, {
        "tenant_name": tenant.name, "tenant_id": tenant.public_id, "time_zone": tenant.time_zone,
        "shell_version": shell_version(),
    })
    response.cache_revalidate = True  # config.middleware: "private, no-cache" (the worker installs new versions)
    return response


@require_GET
def field_service_worker(request):
    _tenant_or_404(request)
    path = finders.find("field/sw.js")
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    # Each file under its {% static %} name (hashed by the manifest storage of `make run`) and its
    # plain name: the modules import each other by relative, unhashed names.
    shell = ["/field/"]
    for name in SHELL_FILES:
        for url in (static(name), "/" + settings.STATIC_URL.strip("/") + "/" + name):
            if url not in shell:
                shell.append(url)
    prologue = f"const SHELL_VERSION = {json.dumps(shell_version())};\nconst SHELL_URLS = {json.dumps(shell)};\n"
    response = HttpResponse(prologue + body, content_type="text/javascript; charset=utf-8")
    response.cache_revalidate = True  # "private, no-cache": a new version is seen at the next check
    return response

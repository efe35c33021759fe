"""The portal map's tile server (settings ``PORTAL_MAP_TILE_URL`` and ``PORTAL_MAP_TILE_ATTRIBUTION``).

No tile server by default: the map then draws its markers on a plain background, which works
offline and sends nothing about a tenant's wells to a third party. A configured URL is a Leaflet
tile template (``https://{s}.tile.example.org/{z}/{x}/{y}.png``); its origin is added to the
Content-Security-Policy's ``img-src`` (config/middleware.py). A URL that is not http(s), or has a
placeholder anywhere in its host but the first label, is ignored (no tiles), never a broken page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

_LABEL = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class TileServer:
    url: str
    attribution: str
    origin: str  # a CSP source expression: scheme://host[:port], the first label may be "*"


@lru_cache(maxsize=8)
def _parse(url: str, attribution: str) -> TileServer | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or "{z}" not in url:
        return None
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if not all(_LABEL.match(label) for label in labels[1:]) or not (labels[0] == "*" or _LABEL.match(labels[0])):
        return None
    origin = f"{parts.scheme}://{'.'.join(labels)}" + (f":{port}" if port else "")
    return TileServer(url=url, attribution=attribution, origin=origin)


def tile_server() -> TileServer | None:
    """The configured tile server, None when there is none (or its URL is unusable)."""
    url = (getattr(settings, "PORTAL_MAP_TILE_URL", "") or "").strip()
    if not url:
        return None
    return _parse(url, getattr(settings, "PORTAL_MAP_TILE_ATTRIBUTION", "") or "")

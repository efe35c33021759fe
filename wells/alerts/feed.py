"""An alert as the pull feed carries it (API.md sections 9 and 15): entity ``alert``, its data the
API's representation."""

from __future__ import annotations

from .serializers import AlertOutput


def alert_change(alert) -> dict:
    return {"entity": "alert", "op": "upsert", "id": str(alert.pk), "version": alert.version,
            "data": dict(AlertOutput(alert).data)}

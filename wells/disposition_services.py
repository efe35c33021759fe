"""Writes of the month close (API.md section 14): a manual disposition of a lease's month, and its
withdrawal when it was a mistake.

Like the other wells writes: the function checks what it is given (a ValidationError keyed by
model field name), the database constraints are the last line of defence, and the entry keeps
who wrote it and when (``recorded_by``, ``created_at``); each write is also logged (ids and
figures only, never a note's text).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from tenants import databases as tenant_db

from .leases import Disposition, DispositionProduct, Lease, LeaseKind
from .rrc import code_problem, normalise_code

log = logging.getLogger(__name__)

MAX_VOLUME = Decimal("99999999.99")
NOTE_LIMIT = 500

# An OIL lease reports oil and casinghead gas; a GAS lease condensate and gas-well gas.
PRODUCTS_OF_KIND = {
    LeaseKind.OIL: (DispositionProduct.OIL, DispositionProduct.GAS),
    LeaseKind.GAS: (DispositionProduct.CONDENSATE, DispositionProduct.GAS),
}


def disposition_problems(*, lease: Lease | None, product: str | None, code: str | None) -> dict[str, list[str]]:
    """The domain errors of a disposition's product and code for ``lease`` (model field names)."""
    errors: dict[str, list[str]] = {}
    if product is not None and product not in DispositionProduct.values:
        errors["product"] = [f"Product must be one of {', '.join(DispositionProduct.values)}."]
        return errors
    if lease is not None and product is not None and product not in PRODUCTS_OF_KIND[lease.kind]:
        allowed = " or ".join(PRODUCTS_OF_KIND[lease.kind])
        errors["product"] = [f"A {lease.kind} lease reports {allowed}, not {product}."]
    if product is not None and code is not None:
        problem = code_problem(product, code)
        if problem:
            errors["code"] = [problem]
    return errors


def disposition_record(*, lease: Lease, month: date, product: str, code: str, volume, note: str = "",
                       actor=None) -> Disposition:
    """Store a manual disposition of ``lease`` for ``month`` (any day of it; stored as the 1st).
    ``volume``: barrels (OIL, CONDENSATE) or MCF (GAS), above 0, at most 2 decimals."""
    code = normalise_code(code)
    errors = disposition_problems(lease=lease, product=product, code=code)
    try:
        amount = Decimal(str(volume))
        if not amount.is_finite() or not 0 < amount <= MAX_VOLUME:
            raise InvalidOperation
        if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            errors["volume"] = ["A volume has at most 2 decimals."]
    except (InvalidOperation, ValueError, TypeError):
        errors["volume"] = [f"A volume is a number above 0 and at most {MAX_VOLUME}."]
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = [f"At most {NOTE_LIMIT} characters."]
    if errors:
        raise ValidationError(errors)
    with tenant_db.atomic():
        disposition = Disposition.objects.create(
            lease=lease, month=month.replace(day=1), product=product, code=code, volume=amount, note=note,
            recorded_by=actor if getattr(actor, "pk", None) else None)
    log.info("disposition recorded", extra={
        "disposition_id": str(disposition.pk), "lease_id": str(lease.pk), "month": f"{month:%Y-%m}",
        "product": product, "code": code, "volume": str(amount), "actor_id": str(getattr(actor, "pk", "") or "")})
    return disposition


def disposition_withdraw(*, disposition: Disposition, actor=None) -> None:
    """Withdraw a mistaken entry: it leaves the balance, Form PR and the lists; the row stays with
    who withdrew it and when. Withdrawing one already withdrawn changes nothing."""
    with tenant_db.atomic():
        changed = Disposition.objects.filter(pk=disposition.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=actor if getattr(actor, "pk", None) else None)
    if changed:
        log.info("disposition withdrawn", extra={
            "disposition_id": str(disposition.pk), "lease_id": str(disposition.lease_id),
            "actor_id": str(getattr(actor, "pk", "") or "")})

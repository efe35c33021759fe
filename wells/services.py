"""Writes of the well domain. Each function validates what it is given (field errors in a
ValidationError keyed by model field name), keeps ``version`` increasing on every change of a
well or piece of equipment, and leaves the database constraints as the last line of defence."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from config.dates import EARLIEST_SPUD_DATE
from tenants import databases as tenant_db
from accounts.models import Role, User

from .changelog.services import change_record  # also wells.lease_services' (from .services)
from .domain import US_STATES, EquipmentStatus, EquipmentType, WellStatus, api_number_normalise, api_number_problem
from .models import Equipment, Well, WellAssignment

WELL_FIELDS = ("api_number", "name", "lease", "field", "county", "state", "latitude", "longitude", "status",
               "spud_date")
EQUIPMENT_FIELDS = ("type", "name", "serial_number", "status")


_API_NUMBER_CHARACTERS = re.compile(r"[0-9][0-9 -]*")
DUPLICATE_API_NUMBER = "A well with this API number already exists in this tenant."


def _decimal_in_range(value, low: int, high: int, label: str, errors: dict, key: str):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[key] = [f"{label} must be a number."]
        return None
    if not number.is_finite() or not low <= number <= high:
        errors[key] = [f"{label} must be between {low} and {high}."]
        return None
    return number.quantize(Decimal("0.000001"))


def well_problems(*, data: dict, instance: Well | None = None) -> dict[str, list[str]]:
    """The domain errors of ``data`` (model field names), without raising: the API puts them in
    one response with the type errors of the other fields."""
    try:
        _clean_well(data, instance=instance, check_required=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _clean_well(data: dict, *, instance: Well | None, check_required: bool = True) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if "api_number" in data:
        raw = data["api_number"]
        api = api_number_normalise(raw)
        # Hyphens and spaces are separators people write; anything else (a letter, a dot) means
        # the number was mistyped, and dropping it could turn a wrong number into a valid one.
        problem = (None if isinstance(raw, str) and _API_NUMBER_CHARACTERS.fullmatch(raw.strip())
                   else "An API number holds digits, optionally grouped with hyphens or spaces.")
        problem = problem or api_number_problem(api)
        if problem:
            errors["api_number"] = [problem]
        elif Well.objects.filter(api_number=api).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["api_number"] = [DUPLICATE_API_NUMBER]
        cleaned["api_number"] = api
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors["name"] = ["A well needs a name."]
        elif len(name) > 200:
            errors["name"] = ["At most 200 characters."]
        cleaned["name"] = name
    for key, limit in (("lease", 200), ("field", 200), ("county", 100)):
        if key in data:
            value = (data[key] or "").strip()
            if len(value) > limit:
                errors[key] = [f"At most {limit} characters."]
            cleaned[key] = value
    if "lease_id" in data:
        _clean_well_lease(data, cleaned, errors)
    if "state" in data:
        state = (data["state"] or "").strip().upper()
        if state and state not in US_STATES:
            errors["state"] = [f"{state!r} is not a US state code (e.g. TX, ND)."]
        cleaned["state"] = state
    if "latitude" in data:
        cleaned["latitude"] = _decimal_in_range(data["latitude"], -90, 90, "Latitude", errors, "latitude")
    if "longitude" in data:
        cleaned["longitude"] = _decimal_in_range(data["longitude"], -180, 180, "Longitude", errors, "longitude")
    if "status" in data:
        if data["status"] not in WellStatus.values:
            errors["status"] = [f"Status must be one of {', '.join(WellStatus.values)}."]
        cleaned["status"] = data["status"]
    if "spud_date" in data:
        spud = data["spud_date"]
        if spud is not None and not isinstance(spud, date):
            errors["spud_date"] = ["Use a date: YYYY-MM-DD."]
        elif spud is not None and spud > timezone.now().date():
            errors["spud_date"] = ["The spud date cannot be in the future."]
        elif spud is not None and spud < EARLIEST_SPUD_DATE:
            errors["spud_date"] = [f"The spud date cannot be before {EARLIEST_SPUD_DATE.isoformat()}."]
        cleaned["spud_date"] = spud
    if instance is None and check_required:
        for required in ("api_number", "name"):
            if required not in data:
                errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_well_lease(data: dict, cleaned: dict, errors: dict) -> None:
    """``leaseId`` (API.md section 13): a lease of this tenant, or None; the text ``lease`` follows
    the lease's name unless the same write gives one."""
    from .leases import Lease

    lease_id = data["lease_id"]
    if lease_id is None:
        cleaned["lease_ref_id"] = None
        return
    lease = Lease.objects.filter(pk=lease_id, deleted_at__isnull=True).first()
    if lease is None:
        errors["lease_id"] = ["No such lease."]
        return
    cleaned["lease_ref_id"] = lease.pk
    if "lease" not in data:
        cleaned["lease"] = lease.name


def well_create(*, data: dict, actor: User | None = None) -> Well:
    cleaned = _clean_well(data, instance=None)
    try:
        with tenant_db.atomic():
            well = Well.objects.create(**cleaned)
            change_record(entity="well", entity_id=well.pk, well_id=well.pk, version=well.version)
            return well
    except IntegrityError as exc:  # a concurrent create of the same API number
        raise ValidationError({"api_number": [DUPLICATE_API_NUMBER]}) from exc


def well_changes(*, well: Well, data: dict) -> dict:
    """What a partial change would change on ``well``: {model field name: new value}, only the
    fields whose value differs (an import's preview; ``well_update`` writes exactly these).
    ValidationError as ``well_update``."""
    cleaned = _clean_well(data, instance=well)
    return {key: value for key, value in cleaned.items() if getattr(well, key) != value}


def well_update(*, well: Well, data: dict, actor: User | None = None) -> Well:
    """Apply a partial change; ``version`` goes up by one if anything changed."""
    changed = well_changes(well=well, data=data)
    if not changed:
        return well
    try:
        with tenant_db.atomic():
            Well.objects.filter(pk=well.pk).update(**changed, version=F("version") + 1, updated_at=timezone.now())
            well.refresh_from_db()
            change_record(entity="well", entity_id=well.pk, well_id=well.pk, version=well.version)
    except IntegrityError as exc:  # a concurrent write took the API number between check and update
        raise ValidationError({"api_number": [DUPLICATE_API_NUMBER]}) from exc
    return well


def well_delete(*, well: Well, actor: User | None = None) -> None:
    """Soft delete: the well disappears from every list and feed (as a tombstone); its records are kept."""
    with tenant_db.atomic():
        Well.objects.filter(pk=well.pk).update(
            deleted_at=timezone.now(), version=F("version") + 1, updated_at=timezone.now()
        )
        change_record(entity="well", entity_id=well.pk, well_id=well.pk, op="delete", version=well.version + 1)


def _clean_equipment(data: dict, *, instance: Equipment | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if "type" in data:
        if data["type"] not in EquipmentType.values:
            errors["type"] = [f"Type must be one of {', '.join(EquipmentType.values)}."]
        cleaned["type"] = data["type"]
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors["name"] = ["Equipment needs a name."]
        cleaned["name"] = name[:200]
    if "serial_number" in data:
        cleaned["serial_number"] = (data["serial_number"] or "").strip()[:100]
    if "status" in data:
        if data["status"] not in EquipmentStatus.values:
            errors["status"] = [f"Status must be one of {', '.join(EquipmentStatus.values)}."]
        cleaned["status"] = data["status"]
    if instance is None:
        for required in ("type", "name"):
            if required not in data:
                errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationError(errors)
    return cleaned


def equipment_problems(*, data: dict, instance: Equipment | None = None) -> dict[str, list[str]]:
    """The domain errors of ``data`` (model field names) without raising, as ``well_problems``:
    what ``equipment_create`` (no ``instance``) or ``equipment_update`` would refuse."""
    try:
        _clean_equipment(data, instance=instance)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def equipment_create(*, well: Well, data: dict, actor: User | None = None) -> Equipment:
    cleaned = _clean_equipment(data, instance=None)
    with tenant_db.atomic():
        equipment = Equipment.objects.create(well=well, **cleaned)
        change_record(entity="equipment", entity_id=equipment.pk, well_id=well.pk, version=equipment.version)
    return equipment


def equipment_changes(*, equipment: Equipment, data: dict) -> dict:
    """What a partial change would change on ``equipment`` (as ``well_changes``)."""
    cleaned = _clean_equipment(data, instance=equipment)
    return {key: value for key, value in cleaned.items() if getattr(equipment, key) != value}


def equipment_update(*, equipment: Equipment, data: dict, actor: User | None = None) -> Equipment:
    changed = equipment_changes(equipment=equipment, data=data)
    if changed:
        with tenant_db.atomic():
            Equipment.objects.filter(pk=equipment.pk).update(
                **changed, version=F("version") + 1, updated_at=timezone.now()
            )
            equipment.refresh_from_db()
            change_record(entity="equipment", entity_id=equipment.pk, well_id=equipment.well_id,
                          version=equipment.version)
    return equipment


def equipment_delete(*, equipment: Equipment, actor: User | None = None) -> None:
    with tenant_db.atomic():
        Equipment.objects.filter(pk=equipment.pk).update(
            deleted_at=timezone.now(), version=F("version") + 1, updated_at=timezone.now()
        )
        change_record(entity="equipment", entity_id=equipment.pk, well_id=equipment.well_id, op="delete",
                      version=equipment.version + 1)


def wells_assign(*, user: User, well_ids: list, replace: bool = False) -> int:
    """Put wells on an OPERATOR's route (or make the route exactly these wells with ``replace``).
    Returns how many wells the route holds afterwards."""
    if user.role != Role.OPERATOR:
        raise ValidationError({"user": [f"{user.email} is {user.role or 'not a tenant user'}; "
                                        "only OPERATORs have routes (MANAGERs and ADMINs see every well)."]})
    ids, unknown = [], []
    for raw in well_ids:
        try:
            ids.append(uuid.UUID(str(raw).strip()))
        except ValueError:
            unknown.append(str(raw))
    wanted = set(Well.objects.filter(pk__in=ids, deleted_at__isnull=True).values_list("pk", flat=True))
    unknown += [str(i) for i in ids if i not in wanted]
    if unknown:
        raise ValidationError({"wells": [f"No such well: {', '.join(unknown[:10])}"
                                         + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")]})
    with tenant_db.atomic():
        if replace:
            _route_remove(user, WellAssignment.objects.filter(user=user).exclude(well_id__in=wanted))
        existing = set(WellAssignment.objects.filter(user=user, well_id__in=wanted).values_list("well_id", flat=True))
        added = wanted - existing
        WellAssignment.objects.bulk_create([WellAssignment(user=user, well_id=w) for w in added])
        for well_id in sorted(added):
            change_record(entity="assignment", entity_id=well_id, well_id=well_id, user_id=user.pk)
    return WellAssignment.objects.filter(user=user).count()


def wells_unassign(*, user: User, well_ids: list) -> int:
    with tenant_db.atomic():
        _route_remove(user, WellAssignment.objects.filter(user=user, well_id__in=list(well_ids)))
    return WellAssignment.objects.filter(user=user).count()


def _route_remove(user: User, assignments) -> None:
    """Take wells off a route; the operator's device gets a tombstone for each (pull feed)."""
    for well_id in sorted(assignments.values_list("well_id", flat=True)):
        change_record(entity="assignment", entity_id=well_id, well_id=well_id, user_id=user.pk, op="delete")
    assignments.delete()

"""ETL sources: saving them (URL encrypted, mapping checked), checking a connection and a mapping
against the source, scheduling and starting runs. Called in the tenant's schema (the staff
admin enters it with schema_context; the beat job does the same per tenant)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q

from config.crypto import DecryptionFailed, decrypt, encrypt
from config.database_urls import ENGINE_LABELS, InvalidSourceUrl, SourceUrl, parse_source_url, scrub
from tenants import databases as tenant_db

from ..models import EtlRun, EtlSource
from .drivers import SourceError, connect
from .mapping import Mapping, MappingInvalid, mapping_check_against_source, mapping_parse

log = logging.getLogger(__name__)

INTERVAL_MIN, INTERVAL_MAX = 1, 1440
SOURCES_SCHEDULED_PER_TENANT = 100  # per beat; the rest are due at the next one


@dataclass
class CheckResult:
    """What a staff member sees after "test connection" or "validate mapping"."""

    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)
    kind: str = ""  # SourceError kind when the source could not be used


# --------------------------------------------------------------------------- saving


def etl_source_save(*, source: EtlSource | None, name: str, url: str | None, interval_minutes: int,
                    enabled: bool, mapping: dict, reset_cursor: bool = False) -> EtlSource:
    """Create (``source`` None) or change a source. ``url`` None or empty keeps the stored URL.
    The mapping must be structurally valid; checking it against the source is the caller's
    choice (the admin does it before calling this). An entity whose table, query or incremental
    column changes starts again from the beginning, as does every entity with ``reset_cursor``."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["A source needs a name."]
    elif len(name) > 100:
        errors["name"] = ["At most 100 characters."]
    elif EtlSource.objects.filter(name=name).exclude(pk=getattr(source, "pk", None)).exists():
        errors["name"] = [f"This tenant already has a source named {name!r}."]
    parsed = None
    if url:
        try:
            parsed = parse_source_url(url)
        except InvalidSourceUrl as exc:
            errors["url"] = [str(exc)]
    elif source is None:
        errors["url"] = ["A new source needs its connection URL."]
    if not isinstance(interval_minutes, int) or not INTERVAL_MIN <= interval_minutes <= INTERVAL_MAX:
        errors["interval_minutes"] = [f"Every {INTERVAL_MIN} to {INTERVAL_MAX} minutes."]
    parsed_mapping = None
    try:
        parsed_mapping = mapping_parse(mapping)
    except MappingInvalid as exc:
        errors["mapping"] = exc.problems
    if errors:
        raise ValidationError(errors)

    with tenant_db.atomic():
        if source is None:
            source = EtlSource(name=name)
        else:
            source = EtlSource.objects.select_for_update().get(pk=source.pk)
        old_mapping = source.mapping or {}
        source.name, source.interval_minutes, source.enabled, source.mapping = name, interval_minutes, enabled, mapping
        if parsed is not None:
            source.url_encrypted = encrypt(url.strip())
            source.url_masked = parsed.masked()
            source.engine = parsed.engine
        source.cursor = {} if reset_cursor else {
            entity: state for entity, state in (source.cursor or {}).items()
            if entity in parsed_mapping.entities and _same_reading(old_mapping.get(entity), mapping.get(entity))
        }
        source.save()
    return source


def _same_reading(old: dict | None, new: dict | None) -> bool:
    keys = ("table", "query", "incremental")
    return isinstance(old, dict) and isinstance(new, dict) and all(old.get(k) == new.get(k) for k in keys)


def etl_source_url(source: EtlSource) -> SourceUrl:
    return parse_source_url(decrypt(source.url_encrypted))


# --------------------------------------------------------------------------- checking


def _url_for_check(*, url: str | None, source: EtlSource | None) -> SourceUrl:
    if url:
        return parse_source_url(url)
    if source is None:
        raise InvalidSourceUrl("Enter the connection URL to test it.")
    return etl_source_url(source)


def etl_source_test_connection(*, url: str | None = None, source: EtlSource | None = None) -> CheckResult:
    """Connect (read-only) with the given URL, or the source's stored one."""
    secrets: list[str] = []
    try:
        parsed = _url_for_check(url=url, source=source)
        secrets = parsed.secrets
        with connect(parsed):
            pass
    except (InvalidSourceUrl, DecryptionFailed) as exc:
        return CheckResult(False, str(exc), kind="url")
    except SourceError as exc:
        return CheckResult(False, scrub(exc.message, secrets), kind=exc.kind)
    label = ENGINE_LABELS[parsed.engine]
    return CheckResult(True, f"Connected to the {label} database {parsed.database!r} at {parsed.masked()}.")


def etl_mapping_validate(*, mapping, url: str | None = None, source: EtlSource | None = None) -> CheckResult:
    """The mapping's structure, then its tables and columns in the source."""
    try:
        parsed_mapping: Mapping = mapping_parse(mapping)
    except MappingInvalid as exc:
        return CheckResult(False, "The mapping is not valid.", exc.problems, kind="mapping")
    secrets: list[str] = []
    try:
        parsed = _url_for_check(url=url, source=source)
        secrets = parsed.secrets
        with connect(parsed) as source_db:
            problems = mapping_check_against_source(parsed_mapping, source_db)
    except (InvalidSourceUrl, DecryptionFailed) as exc:
        return CheckResult(False, str(exc), kind="url")
    except SourceError as exc:
        return CheckResult(False, "The mapping could not be checked: " + scrub(exc.message, secrets), kind=exc.kind)
    if problems:
        return CheckResult(False, "The mapping does not fit the source.", [scrub(p, secrets) for p in problems],
                           kind="mapping")
    entities = ", ".join(parsed_mapping.entities)
    return CheckResult(True, f"The mapping fits the source: every table and column of {entities} is there.")


# --------------------------------------------------------------------------- runs


def etl_sources_due(*, now: datetime):
    return (EtlSource.objects.filter(enabled=True).filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
            .order_by("next_run_at", "name"))


def etl_sources_schedule(*, now: datetime) -> int:
    """Enqueue a run of every enabled source of this tenant whose interval has elapsed; the next is
    due one interval later (start to start). Returns how many were enqueued."""
    sent = 0
    for source in list(etl_sources_due(now=now)[:SOURCES_SCHEDULED_PER_TENANT]):
        EtlSource.objects.filter(pk=source.pk).update(next_run_at=now + timedelta(minutes=source.interval_minutes))
        if etl_run_enqueue(source=source, trigger=EtlRun.Trigger.SCHEDULE):
            sent += 1
    return sent


def etl_run_enqueue(*, source: EtlSource, trigger: str = EtlRun.Trigger.MANUAL) -> bool:
    """Send the run task for this source (in the current tenant's schema). False if the broker is down."""
    from .tasks import etl_run_source

    try:
        etl_run_source.apply_async(args=[str(source.pk), trigger], retry=False)  # the tenant travels with it
        return True
    except Exception:  # broker unreachable: a scheduled run is tried again at the next interval
        log.warning("etl: could not enqueue a run of source %s", source.pk)
        return False

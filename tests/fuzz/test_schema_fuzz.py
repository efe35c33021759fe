"""Schema-driven fuzzing (schemathesis 4) of the whole /api/v1/ surface against a LIVE server
process over HTTP, as an OPERATOR and as a MANAGER (each generated case is sent as both) of a seeded tenant (wells, equipment, a
route), with the three credentials (X-Tenant-ID, X-Tenant-Secret, Bearer JWT).

Every built-in check is on (5xx, status codes, content types, response schemas and headers,
valid data rejected, invalid data accepted, ...) plus one of ours: every error response is in
the API.md section 1 shape. Generation is derandomized with a fixed seed, so a CI run repeats
the last one; max examples per operation keep the two roles at about three minutes on two cores.
The request count and wall time are printed at the end (run with -s, or see the captured output).

What the run leaves out, and why:
- Logout and refresh get fuzzed bodies only: the run's own refresh token is never sent, so the
  fuzzer cannot revoke the session it uses.
- A DELETE of a fixture's equipment is undone right after (equipment_restore), so the operations
  that follow still find it; wells are deleted by ADMINs only, and the run has none. The same for
  the fixture's lease and tank (lease_and_tank_restore).
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from accounts.models import Role
from tests.factories import PASSWORD
from tests.fuzz.conftest import FUZZ_STATS, equipment_restore, lease_and_tank_restore

pytestmark = pytest.mark.live

MAX_EXAMPLES = 32
SEED = 20261201

CONFIG = f"""
seed = {SEED}
[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
deterministic = true
database = "none"
# No NUL in generated text: the contract refuses it everywhere (API.md section 1), which the schema
# cannot say short of a pattern on every string and key. tests/config/test_methods_and_text.py and
# the sync hypothesis tests (tests/sync/test_hostile_payloads.py) send NULs and lone surrogates.
allow-x00 = false
# The run sends the three credentials itself (fuzz_credentials); generated ones would be refused.
with-security-parameters = false
# Unknown query parameters are ignored, as by most HTTP APIs (a cache-busting ?_= must not break a
# client), and OpenAPI 3.0 cannot declare a closed set of query parameters anyway.
allow-extra-parameters = false
[checks]
enabled = true
"""

# Checks that cannot hold for one operation, by the contract (each says why).
EXCLUDED_CHECKS = {
    # A batch whose event breaks its schema is still 202: that event alone is rejected (API.md section 6).
    "POST /api/v1/sync/batches": [negative_data_rejection],
    # The body's SHA-256 (X-Content-SHA256) and its image type (sniffed from the bytes) are checked by
    # content; no schema can say which bytes and header go together, so generated uploads are refused.
    "PUT /api/v1/sync/photos/{photo_id}": [positive_data_acceptance],
    # A CSV file's header and rows are checked by content (API.md section 16: every row validated,
    # all or nothing); the schema says "text/csv", which any text is, so generated files are refused.
    "POST /api/v1/imports/wells": [positive_data_acceptance],
    "POST /api/v1/imports/equipment": [positive_data_acceptance],
    "POST /api/v1/imports/tanks": [positive_data_acceptance],
    # A disposition's code must be one of its product's RRC codes and the product one the lease's kind
    # reports (wells/rrc.py): pairs no schema of the two fields can list.
    "POST /api/v1/dispositions/": [positive_data_acceptance],
}

# Operations whose month may not lie after the current one (API.md section 14): a schema cannot say
# which month today is, so a generated future month is refused (400) and that is right.
MONTH_NOT_AFTER_TODAY = {"GET /api/v1/dispositions/", "GET /api/v1/reports/lease-balance",
                         "GET /api/v1/reports/form-pr"}


def excluded_checks(case) -> list:
    excluded = list(EXCLUDED_CHECKS.get(case.operation.label, []))
    if case.operation.label == "GET /api/v1/sync/changes" and (case.query or {}).get("cursor"):
        excluded.append(positive_data_acceptance)  # an opaque cursor the server never issued is 400
    month = (case.query or {}).get("month")
    if case.operation.label in MONTH_NOT_AFTER_TODAY and isinstance(month, str) and month > f"{date.today():%Y-%m}":
        excluded.append(positive_data_acceptance)
    return excluded


def error_shape(ctx, response, case):
    """Every 4xx/5xx under /api/ is {"error": {"code", "message", "details"}} (API.md section 1)."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body!r:.300}"
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, f"error keys: {sorted(error)}"
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    details = error["details"]
    assert isinstance(details, dict), error
    for field, messages in details.items():
        if isinstance(messages, dict) and re.fullmatch(r"row [0-9]+", field):
            # A CSV import's per-row errors (API.md section 16): {"row 3": {"apiNumber": ["..."]}}.
            for column, column_messages in messages.items():
                assert isinstance(column, str) and isinstance(column_messages, list) and all(
                    isinstance(m, str) for m in column_messages), (field, column, column_messages)
            continue
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), (field, messages)
    return None


ROLES = (Role.MANAGER, Role.OPERATOR)


@pytest.fixture(scope="session")
def fuzz_credentials(live_web, fuzz_world) -> dict[str, dict[str, str]]:
    """The three credentials of each role (never printed: a failure shows the case, not these)."""
    handle = fuzz_world.handle
    out = {}
    for role in ROLES:
        response = requests.post(f"{live_web.url}/api/v1/auth/login", timeout=30,
                                 json={"email": handle.users[role], "password": PASSWORD},
                                 headers={"X-Tenant-ID": handle.public_id, "X-Tenant-Secret": handle.secret})
        assert response.status_code == 200, response.status_code
        out[role] = {"X-Tenant-ID": handle.public_id, "X-Tenant-Secret": handle.secret,
                     "Authorization": f"Bearer {response.json()['access']}"}
    return out


def make_real(case, world) -> None:
    """What a valid request also means beyond its schema: a well named in a body exists (equipment
    stays on its own well), and a date range runs forwards. Half the cases also name the
    fixture's wells and equipment in their path; the other half keep random ids (404)."""
    pick = len(repr(case.body)) + len(repr(case.query))
    params = case.path_parameters or {}
    if pick % 2 == 0 and "well_id" in params:
        params["well_id"] = world.well_ids[pick % len(world.well_ids)]
    if pick % 2 == 0 and "equipment_id" in params:
        params["equipment_id"] = world.equipment_ids[pick % len(world.equipment_ids)]
    if isinstance(case.body, dict) and "wellId" in case.body and case.path_parameters is not None:
        equipment = params.get("equipment_id")
        case.body["wellId"] = (world.equipment_wells[equipment] if equipment in world.equipment_wells
                               else world.well_ids[pick % len(world.well_ids)])
    elif isinstance(case.body, dict) and "wellId" in case.body:
        case.body["wellId"] = world.well_ids[pick % len(world.well_ids)]
    # Leases and tanks (API.md section 13): a lease named in a body exists (a tank stays on its own),
    # and a strapping table runs upwards from 0 (no schema can say "strictly increasing").
    if pick % 2 == 0 and "lease_id" in params:
        params["lease_id"] = world.lease_ids[0]
    if pick % 2 == 0 and "tank_id" in params:
        params["tank_id"] = world.tank_ids[0]
    if isinstance(case.body, dict) and "leaseId" in case.body:
        case.body["leaseId"] = world.lease_ids[0]
    valid_table = [{"heightInches": 0, "barrels": 0}, {"heightInches": 0.0001, "barrels": 0.001}]
    if isinstance(case.body, dict) and "strapping" in case.body:
        case.body["strapping"] = valid_table
    if case.operation.label == "PUT /api/v1/tanks/{tank_id}/strapping":
        case.body = (valid_table if case.media_type == "application/json"
                     else "height_inches,barrels\n0,0\n0.25,0.42\n")
    query = case.query or {}
    if query.get("from") and query.get("to") and str(query["from"]) > str(query["to"]):
        query["from"], query["to"] = query["to"], query["from"]
    # A lease's daily production is asked for at most 366 days at a time (API.md section 13; more is
    # a 400 the schema cannot express): a range that starts in the past keeps its last 366 days.
    if case.operation.label == "GET /api/v1/leases/{lease_id}/daily" and query.get("from") and query.get("to"):
        try:
            end = min(date.fromisoformat(str(query["to"])), date.today())
            start = date.fromisoformat(str(query["from"]))
            if (end - start).days >= 360:  # a day's margin either side of the tenant's today
                query["from"] = (end - timedelta(days=360)).isoformat()
        except ValueError:
            pass  # a malformed date: the server says 400, as it should


def fuzz_schema(url: str):
    config = SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/schema/?format=json", config=config)
    schema.config.update(base_url=url)
    return schema


def test_the_api_keeps_its_schema_under_fuzzing(live_web, fuzz_credentials, fuzz_world, django_db_blocker):
    """Every operation, valid and invalid data, as both roles: no failure of any check."""
    # schemathesis' pytest plugin (schema.parametrize) does not run under pytest 9 (it reads
    # Function._nodeid); the same generation runs here through hypothesis directly.
    schema = fuzz_schema(live_web.url)
    failures: list[str] = []
    started, sent = time.monotonic(), 0

    def send(case, mode: GenerationMode) -> None:
        nonlocal sent
        if mode is GenerationMode.POSITIVE:
            make_real(case, fuzz_world)
        # Each case goes out as an OPERATOR (route wells only, no writes) and then as a MANAGER.
        for role in reversed(ROLES):
            response = case.call(headers=fuzz_credentials[role], timeout=60)
            sent += 1
            try:
                case.validate_response(response, additional_checks=[error_shape],
                                       excluded_checks=excluded_checks(case))
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every check failure is collected
                failures.append(f"{role} {case.method} {case.formatted_path} query={case.query!r:.200} "
                                f"body={case.body!r:.300} -> {response.status_code} {response.text[:300]}\n"
                                f"   {str(exc).strip()[:600]}")
            finally:
                if case.method.upper() == "DELETE" and response.status_code == 204:
                    equipment_id = (case.path_parameters or {}).get("equipment_id")
                    if equipment_id in fuzz_world.equipment_ids:
                        equipment_restore(django_db_blocker, fuzz_world.handle, equipment_id)
                    if {(case.path_parameters or {}).get("lease_id"), (case.path_parameters or {}).get("tank_id")} & {
                            *fuzz_world.lease_ids, *fuzz_world.tank_ids}:
                        lease_and_tank_restore(django_db_blocker, fuzz_world.handle, fuzz_world)

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                                 suppress_health_check=list(hypothesis.HealthCheck), phases=[
                                     hypothesis.Phase.explicit, hypothesis.Phase.generate])
            @hypothesis.given(operation.as_strategy(generation_mode=mode))
            def run(case):
                send(case, case.meta.generation.mode)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                pass  # no parameters to break: an operation without input has no invalid requests
            except Exception as exc:  # noqa: BLE001 - a strategy that cannot generate is a finding too
                failures.append(f"{operation.label} ({mode}): generation failed: {exc!r:.300}")
    elapsed = time.monotonic() - started
    FUZZ_STATS.update(requests=sent, seconds=elapsed, failures=len(failures))
    print(f"\nschema fuzz: {sent} requests in {elapsed:.0f} s, {len(failures)} failures")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(dict.fromkeys(failures))
    assert sent > 100

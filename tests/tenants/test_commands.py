"""The command-line contract (API.md section 10), run as real processes: --json on stdout,
errors on stderr with a non-zero exit."""

import json
import os
import stat

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.live]
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(scope="module")
def created(live_env):
    result = live_env.manage("create_tenant", "--name", "Acme Oil & Gas", "--slug", "acme", "--timezone",
                             "America/Denver", "--admin-email", "a@acme.test", "--admin-password", PASSWORD, "--json")
    return json.loads(result.stdout)


def test_create_tenant_prints_the_contract_json(created):
    assert set(created) == {"tenantId", "slug", "secret", "adminUserId", "isolation"}
    assert created["isolation"] == "SCHEMA"
    assert created["tenantId"].startswith("ACMEOIL-") and len(created["tenantId"]) == 14
    assert created["slug"] == "acme"
    assert len(created["secret"]) == 64 and created["secret"] == created["secret"].lower()


def test_create_tenant_refuses_a_duplicate_slug(live_env, created):
    result = live_env.manage("create_tenant", "--name", "Other", "--slug", "acme", "--admin-email", "b@x.test",
                             "--admin-password", PASSWORD, "--json", check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "already exists" in result.stderr


def test_create_tenant_reports_missing_arguments(live_env):
    result = live_env.manage("create_tenant", "--name", "No Slug", check=False)
    assert result.returncode != 0
    assert "--slug" in result.stderr


def test_create_user_then_log_in_with_it(live_env, created, client):
    result = live_env.manage("create_user", "--tenant", created["tenantId"].lower(), "--email", "op@acme.test",
                             "--password", PASSWORD, "--role", "OPERATOR", "--name", "Opal Operator", "--json")
    user_id = json.loads(result.stdout)["userId"]
    response = client.post("/api/v1/auth/login", {"email": "op@acme.test", "password": PASSWORD},
                           content_type="application/json", HTTP_X_TENANT_ID=created["tenantId"],
                           HTTP_X_TENANT_SECRET=created["secret"])
    assert response.status_code == 200
    assert response.json()["user"] == {"id": user_id, "email": "op@acme.test", "name": "Opal Operator",
                                       "role": "OPERATOR"}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--tenant", "NOPE-ABCDEF"], "No tenant"),
     (["--tenant", "acme", "--role", "CHIEF"], "invalid choice"),
     (["--tenant", "acme", "--email", "not-an-email"], "valid email"),
     (["--tenant", "acme", "--password", "short"], "too short")],
)
def test_create_user_errors_are_clear(live_env, created, args, message):
    base = {"--tenant": "acme", "--email": "new@acme.test", "--password": PASSWORD, "--role": "MANAGER"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    result = live_env.manage("create_user", *argv, "--json", check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert message in result.stderr


def test_rotate_tenant_secret_prints_a_new_secret(live_env, created):
    result = live_env.manage("rotate_tenant_secret", "--tenant", created["tenantId"], "--grace-hours", "1",
                             "--label", "fleet 2", "--json")
    secret = json.loads(result.stdout)["secret"]
    assert len(secret) == 64 and secret != created["secret"]


def test_rotate_tenant_secret_for_an_unknown_tenant_fails_clearly(live_env):
    result = live_env.manage("rotate_tenant_secret", "--tenant", "ghost", "--json", check=False)
    assert result.returncode != 0 and "No tenant with ID or slug 'ghost'" in result.stderr


def test_seed_demo_is_idempotent_and_keeps_credentials_private(live_env, tmp_path):
    env = dict(live_env.env, PUMPJACK_DEMO_CREDENTIALS=str(tmp_path / "demo.json"))
    runner = type(live_env)(env=env)
    first = json.loads(runner.manage("seed_demo", "--json").stdout)
    second = json.loads(runner.manage("seed_demo", "--json").stdout)
    assert first == second
    [tenant] = first["tenants"]
    assert tenant["slug"] == "demo"
    assert {u["role"] for u in tenant["users"]} == {"ADMIN", "MANAGER", "OPERATOR"}
    assert stat.S_IMODE(os.stat(tmp_path / "demo.json").st_mode) == 0o600
    # Credentials lost: secrets and passwords are re-issued, the tenant stays the same.
    os.remove(tmp_path / "demo.json")
    third = json.loads(runner.manage("seed_demo", "--json").stdout)
    assert third["tenants"][0]["tenantId"] == tenant["tenantId"]
    assert third["tenants"][0]["secret"] != tenant["secret"]

"""`pumpjack-field` as a user runs it (subprocesses) against the live server: login, pull, wells,
record offline, status, sync, logout, and the errors that must tell the user what to do."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from tests.client.harness import Device, jpeg, make_route, server_events
from tests.factories import PASSWORD

pytestmark = pytest.mark.live


def _login_args(handle, email, *, secret=None):
    return ["login", "--tenant", handle.public_id.lower(), "--secret", secret or handle.secret,
            "--email", email, "--password", PASSWORD]


def test_a_shift_from_login_to_sync_on_the_command_line(live_web, workers, e2e_tenant, django_db_blocker, tmp_path):
    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    pumper = Device(name="tablet-7", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])

    login = json.loads(pumper.cli(*_login_args(e2e_tenant, pumper.email), "--server", live_web.url, "--json").stdout)
    assert login["tenantId"] == e2e_tenant.public_id and login["user"]["role"] == "OPERATOR"
    credentials = pumper.folder / "credentials.json"
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pumper.folder).st_mode) == 0o700
    for path in pumper.folder.iterdir():  # the password is never stored
        assert PASSWORD.encode() not in path.read_bytes(), path

    pull = pumper.cli("pull")
    assert "1 wells on your route, 2 equipment" in pull.stdout
    wells = json.loads(pumper.cli("wells", "--json").stdout)["wells"]
    assert [(w["id"], sorted(e["name"] for e in w["equipment"])) for w in wells] == \
        [(str(well.pk), ["Oil tank", "Pump jack"])]

    # Offline: the server address is unreachable; recording does not care.
    offline = ["--server", "http://127.0.0.1:9"]
    image = tmp_path / "wellhead.jpg"
    image.write_bytes(jpeg("wellhead"))
    recorded = [
        pumper.cli("record", "production", "--well", well.api_number, "--date", "2026-11-20", "--product", "OIL",
                   "--volume", "120.5", "--unit", "BBL", "--downtime-hours", "2", "--downtime-reason", "rod part",
                   *offline, "--json"),
        pumper.cli("record", "reading", "--well", well.name, "--type", "TANK_LEVEL", "--value", "8.5", "--unit", "FT",
                   "--equipment", "Oil tank", *offline, "--json"),
        pumper.cli("record", "inspection", "--well", well.name, "--equipment", "Pump jack", "--status",
                   "NEEDS_ATTENTION", "--notes", "belt worn", *offline, "--json"),
        pumper.cli("record", "repair", "--well", well.name, "--equipment", "Pump jack", "--description",
                   "replaced belt", "--parts", "belt", *offline, "--json"),
        pumper.cli("record", "note", "--well", well.name, "--text", "lease road washed out", *offline, "--json"),
        pumper.cli("record", "photo", "--well", well.name, "--file", str(image), "--caption", "wellhead",
                   *offline, "--json"),
        pumper.cli("record", "status", "--well", well.name, "--status", "SHUT_IN", "--reason", "leak", *offline,
                   "--json"),
    ]
    ids = [json.loads(r.stdout)["id"] for r in recorded]
    status = json.loads(pumper.cli("status", "--json").stdout)
    assert (status["unsynced"], status["rejected"], status["photosToUpload"]) == (7, 0, 1)
    assert status["lastSyncAt"] is None

    unreachable = pumper.cli("sync", "--retry-for", "1", *offline, check=False)
    assert unreachable.returncode == 4 and "nothing recorded is lost" in unreachable.stderr
    assert json.loads(pumper.cli("status", "--json").stdout)["unsynced"] == 7

    workers.start(concurrency=1)
    synced = pumper.cli("sync")  # not a terminal: plain progress lines, then a summary
    assert "pushing events: 7/7 events" in synced.stdout
    assert "Pushed 7 events in 1 requests: 7 accepted" in synced.stdout
    outcomes = server_events(django_db_blocker, e2e_tenant, ids)
    assert set(outcomes.values()) == {"APPLIED"}, outcomes

    after = json.loads(pumper.cli("status", "--json").stdout)
    assert after["unsynced"] == 0 and after["outcomes"] == {"APPLIED": 7} and after["lastSyncAt"]
    assert after["photosToUpload"] == 0
    human = pumper.cli("status").stdout
    assert "Unsynced events:   0" in human and "Pending conflicts on your wells: 0" in human

    # The status change reached the server; the next pull brings the new version of the well.
    pumper.cli("pull")
    assert json.loads(pumper.cli("wells", "--json").stdout)["wells"][0]["status"] == "SHUT_IN"

    # An access token near its end is refreshed before use, and the rotated refresh token is kept.
    kept = json.loads(credentials.read_text())
    kept["access_expires_at"] = time.time() + 5
    credentials.write_text(json.dumps(kept))
    pumper.cli("pull")
    assert json.loads(credentials.read_text())["refresh"] != kept["refresh"]

    # Logout drops the tokens, keeps the tenant ID and secret: the next login needs only the password.
    pumper.cli("logout")
    after_logout = json.loads(credentials.read_text())
    assert after_logout["refresh"] == "" and after_logout["tenant_secret"] == e2e_tenant.secret
    refused = pumper.cli("sync", check=False)
    assert refused.returncode == 3 and "pumpjack-field login" in refused.stderr
    pumper.cli("login", "--email", pumper.email, "--password", PASSWORD)
    assert json.loads(pumper.cli("status", "--json").stdout)["loggedIn"] is True


@pytest.fixture
def rotating_tenant(django_db_setup, django_db_blocker):
    """A tenant of its own: its secret is rotated, which must not disturb the shared one."""
    from tests.factories import make_tenant

    with django_db_blocker.unblock():
        return make_tenant(name="Rotating Rigs", slug=f"rotate{os.getpid() % 10000}")


def test_a_rotated_secret_tells_the_user_to_get_the_new_one_from_their_admin(
    live_web, rotating_tenant, django_db_blocker, tmp_path
):
    from accounts.tenant_secrets import tenant_secret_rotate

    handle = rotating_tenant
    pumper = Device(name="rotated", data_dir=tmp_path, server=live_web.url, handle=handle,
                    email=handle.users["OPERATOR"])
    pumper.cli(*_login_args(handle, pumper.email), "--server", live_web.url)
    with django_db_blocker.unblock():
        new_secret = tenant_secret_rotate(tenant=handle.tenant, actor="test", label="rotated")

    for args in (["pull"], ["sync"]):  # a valid access token, but layer 2 now fails: refresh fails too
        refused = pumper.cli(*args, check=False)
        assert refused.returncode == 3, refused
        assert refused.stderr.count("\n") == 1
        assert "secret from your admin" in refused.stderr and "pumpjack-field login" in refused.stderr
    old = pumper.cli(*_login_args(handle, pumper.email), check=False)
    assert old.returncode == 3 and "secret from your admin" in old.stderr
    pumper.cli(*_login_args(handle, pumper.email, secret=new_secret))
    pumper.cli("pull")


def test_a_photo_of_nine_mib_is_uploaded_by_sync(live_web, e2e_tenant, django_db_blocker, tmp_path):
    route = make_route(django_db_blocker, e2e_tenant)
    pumper = Device(name="big-photo", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    pumper.login()
    pumper.client.pull()
    image = tmp_path / "big.jpg"
    image.write_bytes(jpeg("big") + os.urandom(9 * 1024 * 1024))
    pumper.record("photo", well=route.wells[0].name, file=str(image))
    report = pumper.client.sync(wait=0, pull=False)
    pumper.close()
    assert report.photo_errors == [] and report.photos_uploaded == 1, report.photo_errors

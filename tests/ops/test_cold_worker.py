"""The tail of a cold worker (issue 12 point 2): its threads all receiving one device secret at
once pay Argon2 once, not once each (bench/serve.py measured /me answers of 13-17 s at start-up
under 64 connections before this)."""

from __future__ import annotations

import threading

from tenants import secrets
from tenants.directory import directory


def test_concurrent_first_checks_of_one_secret_pay_argon2_once(tenant_a, db, monkeypatch):
    calls = []
    real = secrets.secret_matches

    def counted(stored_hash, presented):
        calls.append(presented)
        return real(stored_hash, presented)

    monkeypatch.setattr(secrets, "secret_matches", counted)
    secrets.verified_secrets.clear()
    entry = directory.by_public_id(tenant_a.public_id)
    start = threading.Barrier(8)
    answers = []

    def check():
        start.wait()
        answers.append(secrets.secret_verify(entry=entry, presented=tenant_a.secret))

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 8 and len(set(answers)) == 1 and answers[0] is not None
    assert 1 <= len(calls) <= len(entry.secrets)  # one pass over the tenant's secrets, not eight


def test_concurrent_checks_of_a_wrong_secret_pay_argon2_once_per_secret_too(tenant_a, db, monkeypatch):
    calls = []
    real = secrets.secret_matches
    monkeypatch.setattr(secrets, "secret_matches", lambda h, p: calls.append(p) or real(h, p))
    secrets.verified_secrets.clear()
    entry = directory.by_public_id(tenant_a.public_id)
    wrong = "0" * 64
    threads = [threading.Thread(target=lambda: secrets.secret_verify(entry=entry, presented=wrong)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(calls) == len(entry.secrets)

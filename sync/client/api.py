"""HTTP to the Pumpjack server (API.md sections 1, 3, 6, 9): the three credentials on every call,
the access token refreshed before it expires and on 401 ``token_expired``, and retries with
backoff for network errors, 5xx and 429 (Retry-After honoured)."""

from __future__ import annotations

import json
import time
from typing import Callable

try:
    import requests
except ImportError as exc:  # a server install without the client extra
    raise SystemExit("pumpjack-field needs the client extra: pip install 'pumpjack[client]'") from exc
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import __version__
from .backoff import RETRY_STATUSES, Backoff, retry_after_seconds
from .errors import CredentialsRejected, FieldError, NotLoggedIn, ServerRefused, ServerUnreachable
from .profile import Credentials, CredentialsFile

REFRESH_MARGIN_SECONDS = 60  # refresh this long before the access token expires
TIMEOUT = (10, 120)  # connect, read (a 5,000-event batch takes a few seconds to store)

SECRET_HINT = ("get the current tenant secret from your admin (it may have been rotated or expired) "
               "and run `pumpjack-field login` again")


def error_of(response: requests.Response) -> tuple[str, str, dict]:
    """(code, message, details) of an error answer in API.md's shape, or a fallback."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return str(error.get("code") or "error"), str(error.get("message") or ""), error.get("details") or {}
    except ValueError:
        pass
    return f"http_{response.status_code}", (response.reason or "unexpected answer"), {}


def _complete(response: requests.Response) -> bool:
    """Every /api/ answer but a 204 is a JSON document: one that does not parse was cut off in
    transit (the HTTP layer cannot tell when the server sends no Content-Length, and a
    connection closed inside the headers reads as a short header block)."""
    if response.status_code == 204:
        return True
    try:
        response.json()
    except ValueError:
        return False
    return True


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the request surely never reached the server (nothing to fear from a retry)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class Api:
    def __init__(self, server: str, credentials_file: CredentialsFile, *, backoff: Backoff | None = None,
                 session: requests.Session | None = None, wall_clock: Callable[[], float] = time.time,
                 on_retry: Callable[[str], None] | None = None):
        if not server.startswith(("http://", "https://")):
            raise FieldError(f"--server {server!r}: give a URL such as http://localhost:8000")
        self.server = server.rstrip("/")
        self.credentials_file = credentials_file
        self.credentials: Credentials = credentials_file.load()
        self.backoff = backoff or Backoff()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"pumpjack-field/{__version__}"
        self.wall_clock = wall_clock
        self.on_retry = on_retry or (lambda message: None)

    # ------------------------------------------------------------------ plumbing

    def _tenant_headers(self) -> dict[str, str]:
        if not self.credentials.has_tenant:
            raise NotLoggedIn("no tenant credentials in this profile: run `pumpjack-field login`")
        return {"X-Tenant-ID": self.credentials.tenant_id, "X-Tenant-Secret": self.credentials.tenant_secret}

    def _send(self, method: str, path: str, *, headers: dict, body: bytes | None, content_type: str | None,
              timeout=TIMEOUT, params: dict | None = None, retry: str = "always",
              before_try: Callable[[], None] | None = None, tries_on_500: int | None = None) -> requests.Response:
        """One request, retried per ``retry``: "always" (idempotent), "unsent" (only when the
        request never left: a refresh must not be replayed), or "never". ``tries_on_500``: after
        that many 500 answers, return the 500 to the caller (who may send something smaller)."""
        headers = dict(headers)
        if content_type:
            headers["Content-Type"] = content_type
        attempts = self.backoff.start()
        internal_errors = 0
        while True:
            retry_after = None
            if before_try is not None:
                before_try()
            try:
                response = self.session.request(method, self.server + path, headers=headers, data=body,
                                                params=params, timeout=timeout)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"[:300]
                retryable = retry == "always" or (retry == "unsent" and _not_sent(exc))
            else:
                status = response.status_code
                if status not in RETRY_STATUSES:
                    if _complete(response):
                        return response
                    # An answer cut short: the connection dropped mid-answer. Like a network error.
                    problem = f"{status} answer cut short ({len(response.content)} bytes)"
                    retryable = retry == "always"
                else:
                    code, message, _ = error_of(response)
                    problem = f"{status} {code}: {message}"[:300]
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=self.wall_clock)
                    internal_errors += status == 500
                    if retry == "never" or (tries_on_500 is not None and internal_errors >= tries_on_500):
                        return response
                    retryable = True
            if not retryable or not attempts.wait_before_next(retry_after):
                raise ServerUnreachable(
                    f"could not reach {self.server} ({problem}); nothing recorded is lost: "
                    "run the command again when the network is back", details={"attempts": attempts.count})
            self.on_retry(f"retrying {method} {path} (try {attempts.count}) after {problem}")

    # ------------------------------------------------------------------ authentication

    def login(self, *, tenant_id: str, tenant_secret: str, email: str, password: str) -> dict:
        self.credentials = Credentials(tenant_id=tenant_id, tenant_secret=tenant_secret)
        body = json.dumps({"email": email, "password": password}).encode()
        # Not retried: a login is interactive, and a 429 here means "too many failed logins".
        response = self._send("POST", "/api/v1/auth/login", headers=self._tenant_headers(), body=body,
                              content_type="application/json", retry="never")
        if response.status_code == 401:
            raise CredentialsRejected(
                "login refused (401 invalid_credentials): check the tenant ID, email and password; if they are "
                f"right, the tenant secret is no longer valid: {SECRET_HINT}")
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"), now=self.wall_clock)
            raise ServerRefused(f"too many failed logins: try again in {int(wait or 60)} seconds",
                                status=429, code="throttled")
        self.raise_for(response, "login")
        data = response.json()
        self._store_tokens(data)
        return data

    def _store_tokens(self, data: dict) -> None:
        self.credentials.access = data["access"]
        self.credentials.refresh = data["refresh"]
        self.credentials.access_expires_at = self.wall_clock() + int(data.get("accessExpiresIn") or 900)
        self.credentials_file.save(self.credentials)

    def refresh(self) -> None:
        """Rotate the token pair; the new refresh token is on disk before anything else happens."""
        if not self.credentials.has_session:
            raise NotLoggedIn("not logged in: run `pumpjack-field login`")
        body = json.dumps({"refresh": self.credentials.refresh}).encode()
        response = self._send("POST", "/api/v1/auth/refresh", headers=self._tenant_headers(), body=body,
                              content_type="application/json", retry="unsent")
        if response.status_code == 401:
            # The refresh token is kept: every later command asks again and gets the same advice,
            # until a new login replaces it.
            self.credentials.access, self.credentials.access_expires_at = "", 0.0
            self.credentials_file.save(self.credentials)
            raise CredentialsRejected(
                "the server refused this device's session (401 invalid_credentials): the tenant secret was "
                f"rotated or expired, or your session was revoked: {SECRET_HINT}")
        self.raise_for(response, "refresh")
        self._store_tokens(response.json())

    def logout(self) -> bool:
        """Revoke the refresh token on the server if it can be reached; tokens are dropped anyway."""
        revoked = False
        if self.credentials.has_session and self.credentials.has_tenant:
            body = json.dumps({"refresh": self.credentials.refresh}).encode()
            try:
                response = self._send("POST", "/api/v1/auth/logout", headers=self._tenant_headers(), body=body,
                                      content_type="application/json", retry="never")
                revoked = response.status_code == 204
            except ServerUnreachable:
                revoked = False
        self.credentials.access, self.credentials.refresh, self.credentials.access_expires_at = "", "", 0.0
        self.credentials_file.save(self.credentials)
        return revoked

    def _ensure_fresh(self) -> None:
        if not self.credentials.has_session:
            raise NotLoggedIn("not logged in: run `pumpjack-field login`")
        if not self.credentials.access or self.credentials.access_expires_at - self.wall_clock() < REFRESH_MARGIN_SECONDS:
            self.refresh()

    # ------------------------------------------------------------------ authenticated calls

    def call(self, method: str, path: str, *, body: bytes | None = None, content_type: str | None = None,
             headers: dict | None = None, params: dict | None = None, timeout=TIMEOUT,
             before_try: Callable[[], None] | None = None, tries_on_500: int | None = None) -> requests.Response:
        """An authenticated request. Returns the answer for the caller to judge, except 401
        (refreshed and retried once, then CredentialsRejected) and 403 (ServerRefused)."""
        self._ensure_fresh()
        for round_ in (1, 2):
            all_headers = {**self._tenant_headers(), "Authorization": f"Bearer {self.credentials.access}",
                           **(headers or {})}
            response = self._send(method, path, headers=all_headers, body=body, content_type=content_type,
                                  params=params, timeout=timeout, before_try=before_try,
                                  tries_on_500=tries_on_500)
            if response.status_code != 401:
                break
            code, _, _ = error_of(response)
            if round_ == 2:
                raise CredentialsRejected(
                    f"the server refused this device's credentials (401 {code}): {SECRET_HINT}")
            # token_expired (clock skew, a long sync) or a revoked access token: one refresh, one retry.
            self.refresh()
        if response.status_code == 403:
            code, message, details = error_of(response)
            if code == "tenant_suspended":
                message = "your company's Pumpjack account is suspended: contact your admin"
            raise ServerRefused(f"{message} (403 {code})", status=403, code=code, details=details)
        return response

    def raise_for(self, response: requests.Response, what: str) -> None:
        if response.status_code < 400:
            return
        code, message, details = error_of(response)
        if response.status_code == 403 and code == "tenant_suspended":
            message = "your company's Pumpjack account is suspended: contact your admin"
        raise ServerRefused(f"{what} failed: {message} ({response.status_code} {code})",
                            status=response.status_code, code=code, details=details)

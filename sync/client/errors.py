"""What can go wrong on the device, each with one line a field operator can act on."""

from __future__ import annotations


class FieldError(Exception):
    """An error the command line shows as one line on stderr, with a non-zero exit code."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class UsageError(FieldError):
    """Bad input on the command line (a wrong tenant ID, an unknown well, a value out of range)."""

    exit_code = 2
    code = "invalid_input"


class NotLoggedIn(FieldError):
    exit_code = 3
    code = "not_logged_in"


class CredentialsRejected(FieldError):
    """The server refused the tenant secret or the session (401 at login or refresh)."""

    exit_code = 3
    code = "invalid_credentials"


class ServerUnreachable(FieldError):
    """Network errors, 5xx, 429 and 503 that outlasted the retries."""

    exit_code = 4
    code = "unreachable"


class ServerRefused(FieldError):
    """A 4xx answer that retrying cannot fix (403 tenant_suspended, 400 invalid_request...)."""

    exit_code = 5

    def __init__(self, message: str, *, status: int, code: str = "error", details: dict | None = None):
        super().__init__(message, code=code, details=details)
        self.status = status


class Busy(FieldError):
    """Another `pumpjack-field sync` holds this profile."""

    exit_code = 6
    code = "busy"

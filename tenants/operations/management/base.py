"""Common ground of Pumpjack's commands (API.md section 10): ``--json`` prints one JSON object on
stdout; errors go to stderr with a non-zero exit."""

from __future__ import annotations

import json
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)


class JsonCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object on stdout.")

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc

    def emit(self, options, payload: dict, human: str) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(human)


def tenant_from_option(identifier: str):
    from tenants.operations.provisioning import TenantNotFound, tenant_get

    try:
        return tenant_get(identifier=identifier)
    except TenantNotFound as exc:
        raise CommandError(str(exc)) from exc


def url_from_options(*, url: str = "", env_name: str = "", stdin: bool = False) -> str:
    """A database URL given on the command line, in an environment variable or on stdin ("" if none).
    The last two keep the password out of the process list and the shell history."""
    if env_name:
        value = os.environ.get(env_name, "").strip()
        if not value:
            raise CommandError(f"The environment variable {env_name} is not set or empty.")
        return value
    if stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise CommandError("No database URL on standard input.")
        return value
    return (url or "").strip()

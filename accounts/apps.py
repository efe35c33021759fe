from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import openapi  # noqa: F401  (registers the OpenAPI authentication extensions)

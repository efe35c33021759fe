"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ThreeCredentialAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pumpjack API",
    "DESCRIPTION": "Field-data platform for oil & gas operators. See shared/API.md for the wire contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "CAMELIZE_NAMES": False,
    "PREPROCESSING_HOOKS": ["accounts.openapi.register"],
}

# Request bodies Django reads into memory: the largest the API accepts (a 10 MiB photo; batches
# stop at 8 MiB, checked by the view with a clear 413).
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

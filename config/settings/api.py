"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ThreeCredentialAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.negotiation.FastContentNegotiation",
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
    # The docs pages' JavaScript from drf-spectacular-sidecar's static files, not a CDN.
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Each view's own body limit is enforced first, from Content-Length or a bounded read
# (config.middleware: 1 MiB by default, 8 MiB for a sync batch, 10 MiB for a photo). This is
# Django's own ceiling on a body read into memory, above all of them; reaching it answers 413 too.
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

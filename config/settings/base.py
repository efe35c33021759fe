"""Applications, middleware, templates, static files, internationalisation."""

from .env import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SHARED_APPS = [
    # The tenancy core, then the operations on tenants, whose create_tenant command replaces
    # django-tenants' own (the first app that has a command wins).
    "tenants",
    "tenants.operations",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver (make dev) serves static files through WhiteNoise as well,
    # with the same headers as make run.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc's bundle as a static file: the API docs load nothing from a CDN
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
    "django.contrib.sessions",
    "guardian",
    "wells.changelog",  # the pull feed's change log, below wells and sync (label "changelog")
    "wells",
    "sync",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

# Order matters. The first three set headers (nosniff, X-Frame-Options; X-Request-ID, CSP,
# Cache-Control) on every response, including those answered early by the request guard itself,
# WhiteNoise and tenant resolution, and those ApiErrorMiddleware replaces. The guard's
# process_view (body limits) runs before CSRF's, which reads a form's body.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.RequestGuardMiddleware",
    "config.health.OperationsMiddleware",  # /healthz, /readyz, /metrics on any host, before tenants
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.api_errors.ApiErrorMiddleware",
    "accounts.middleware.TenantRejectionAuditMiddleware",
    "tenants.middleware.TenantResolutionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionTenantBindingMiddleware",
    "config.middleware.MessageMiddleware",  # Django's, its storage made on first use
]

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    }
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "static_collected")
# WhiteNoise serves what `collectstatic` (run by `make run`) put in STATIC_ROOT: names carry a
# hash of the content (cached for ever by browsers), with gzip copies. With DEBUG on, templates
# name the unhashed files and WhiteNoise finds them in the apps (no collectstatic needed).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".pumpjack" / "media")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Operations (API.md section 12, config.health / config.metrics).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The dashboard map's tiles (config/map_tiles.py): none by default, the markers show on a plain
# background. E.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png with its attribution.
PORTAL_MAP_TILE_URL = env.str("PORTAL_MAP_TILE_URL", default="")
PORTAL_MAP_TILE_ATTRIBUTION = env.str("PORTAL_MAP_TILE_ATTRIBUTION", default="")
METRICS_DATABASE_CACHE_SECONDS = env.float("METRICS_DATABASE_CACHE_SECONDS", default=10.0)
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)

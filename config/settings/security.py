"""Authentication, passwords, tokens, sessions, CSRF, throttling."""

from datetime import timedelta

from .env import env

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=14)
# How long a verified tenant secret is trusted by a process before Argon2 is asked again
# (rotation and expiry still take effect at once).
TENANT_SECRET_CACHE_SECONDS = env.int("TENANT_SECRET_CACHE_SECONDS", default=300)

# Failed logins allowed per window, per email and per client address.
LOGIN_THROTTLE = {
    "window_seconds": env.int("LOGIN_THROTTLE_WINDOW", default=900),
    "per_email": env.int("LOGIN_THROTTLE_PER_EMAIL", default=5),
    "per_address": env.int("LOGIN_THROTTLE_PER_ADDRESS", default=30),
}

# Password-reset e-mails asked for per window, per e-mail (known or not) and per client address.
PASSWORD_RESET_THROTTLE = {
    "window_seconds": env.int("PASSWORD_RESET_THROTTLE_WINDOW", default=3600),
    "per_email": env.int("PASSWORD_RESET_THROTTLE_PER_EMAIL", default=3),
    "per_address": env.int("PASSWORD_RESET_THROTTLE_PER_ADDRESS", default=20),
}
# Links in invitation and reset e-mails use the request's own scheme and host when it came in on
# the tenant's sub-domain; otherwise (an API call routed by X-Tenant-ID) this scheme and
# <slug>.<BASE_DOMAIN>.
PORTAL_URL_SCHEME = env.str("PORTAL_URL_SCHEME", default="https")
# A tenant secret's "last used" time is written at most once per this many seconds per secret.
TENANT_SECRET_USE_RECORD_SECONDS = env.int("TENANT_SECRET_USE_RECORD_SECONDS", default=300)

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Cookies stay host-only (no SESSION_COOKIE_DOMAIN): a tenant's session cookie is never sent
# to another tenant's sub-domain, and the session itself lives in the tenant's schema.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# Fernet key(s) encrypting secrets stored at rest (ETL source URLs; config.crypto): one key, or
# several comma-separated to rotate (the first encrypts). Empty: development and tests derive a
# key from SECRET_KEY; production refuses to start without it.
PUMPJACK_ENCRYPTION_KEY = env.str("PUMPJACK_ENCRYPTION_KEY", default="")

"""Settings for the COVID-19 Prognosis portal, read from the environment (12-factor).

Development defaults apply only when ``DJANGO_DEBUG`` is on; without it the portal
refuses to start unless a secret key is given, and cookies, HSTS and redirects are secure.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")

INSTALLED_APPS = [
    "portal.apps.MongoAdminConfig",
    "portal.apps.MongoAuthConfig",
    "portal.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_mongodb_backend",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "portal.health",
    "portal.screening",
    "portal.cases",
    "portal.audit",
    "portal.workspace",
    "portal.observability",
    "portal.api",
]

MIDDLEWARE = [
    "portal.observability.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.security.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.screening.outages.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# MongoDB is the only database. MONGO_URI is a standard connection string; production
# points it at a replica set. The short selection timeout turns "MongoDB is down" into a
# fast, clear error instead of a 30 s hang.
MONGO_URI = os.environ.get(
    "MONGO_URI", "mongodb://127.0.0.1:27017/?directConnection=true" if DEBUG else ""
)
if not MONGO_URI:
    raise ImproperlyConfigured("MONGO_URI is not set.")
MONGO_TIMEOUT_MS = int(os.environ.get("MONGO_TIMEOUT_MS", "3000"))

DATABASES = {
    "default": {
        "ENGINE": "django_mongodb_backend",
        "HOST": MONGO_URI,
        "NAME": os.environ.get("MONGO_DB", "prognosis"),
        "OPTIONS": {
            "serverSelectionTimeoutMS": MONGO_TIMEOUT_MS,
            "connectTimeoutMS": MONGO_TIMEOUT_MS,
        },
    },
}
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "portal.mongo_migrations.admin",
    "auth": "portal.mongo_migrations.auth",
    "contenttypes": "portal.mongo_migrations.contenttypes",
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Clinicians sign in to the workspace; anonymous requests for its pages are sent here.
AUTHENTICATION_BACKENDS = ["portal.workspace.backends.JoinFreeModelBackend"]
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "workspace:login"
# A clinician's sign-in lasts one shift.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "8")) * 3600
# Sign-in lockout: this many failures for one account, or from one address (a hospital's NAT may hold many
# clinicians), within the window refuse sign-ins until enough of them are older than the window.
SIGN_IN_LOCKOUT_FAILURES = int(os.environ.get("SIGN_IN_LOCKOUT_FAILURES", "5"))
SIGN_IN_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("SIGN_IN_LOCKOUT_ADDRESS_FAILURES", "20"))
SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15"))
# Proxies in front of the portal that append the client's address to X-Forwarded-For (the ingress: 1).
SIGN_IN_TRUSTED_PROXIES = int(os.environ.get("SIGN_IN_TRUSTED_PROXIES", "0"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False  # English only: no translation machinery on every template variable
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Site-wide assets: the layout's CSS and the vendored Bootstrap (make vendor); nothing comes from a CDN.
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # A saved case's files (the upload, its display copy, the heatmap) live in MongoDB GridFS.
    "cases": {"BACKEND": "portal.cases.storage.GridFSStorage", "OPTIONS": {"bucket": "case_files"}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploads: the limit is enforced before the body is read into memory, on its declared length and, for
# multipart bodies, by the first upload handler (the CSRF check parses the form before any view runs).
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "portal.screening.uploads.OversizedBodyHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# The model server, reached through the TensorFlow Serving gRPC API.
MODEL_SERVER = os.environ.get("MODEL_SERVER", "127.0.0.1:8500")
MODEL_NAME = os.environ.get("MODEL_NAME", "densenet")
MODEL_VERSION = int(os.environ["MODEL_VERSION"]) if os.environ.get("MODEL_VERSION") else None  # None: the latest
MODEL_TIMEOUT = float(os.environ.get("MODEL_TIMEOUT", "10"))

# An upload is kept this long (seconds) so a result can be retried or saved, then purged.
PENDING_UPLOAD_TTL = int(os.environ.get("PENDING_UPLOAD_TTL", "3600"))

# A saved case (answers, images, prediction) is kept this many days; the consent text says so.
CASE_RETENTION_DAYS = int(os.environ.get("CASE_RETENTION_DAYS", "90"))

# The REST API (/api/v1/): API keys only, scopes per view, problem details for every failure.
# Throttle counts live in the default cache (LocMemCache: per process); each key has its own rate.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_ANONYMOUS_RATE", "60/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "portal.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS is 405: the OpenAPI schema describes the API
}
SPECTACULAR_SETTINGS = {
    "TITLE": "COVID-19 Prognosis API",
    "DESCRIPTION": "Research CAD for frontal chest X-rays: predictions, cases and advice. Not a diagnostic device. "
                   "Errors are RFC 9457 problem details (application/problem+json).",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets from drf-spectacular-sidecar, served by the portal: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security: secure by default outside debug. TLS ends at the ingress, which sets
# X-Forwarded-Proto. The Content-Security-Policy is portal.security.middleware's.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a clinician opening a workspace link from an email stays signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Origins (scheme and host) allowed to post forms besides the site's own, e.g. behind a renamed ingress.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # the patient's result and case pages send no-referrer (privacy.py)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT:  # turned off where the ingress serves HTTPS only (manifests/base/portal/config.env)
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Logs never carry request bodies, patient fields or URLs' secrets; only what happened and where
# (tests/portal/test_log_privacy.py searches a whole flow's logs at DEBUG).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.observability.json_logging.JsonFormatter"},
    },
    "filters": {"routes_not_paths": {"()": "portal.observability.json_logging.RoutesNotPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if DEBUG else "json",
            "filters": ["routes_not_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # At DEBUG the MongoDB driver logs every command and reply in full: names, contacts, advice, image chunks.
    "loggers": {"pymongo": {"level": "WARNING"}},
}

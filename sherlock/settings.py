"""Settings for the catalogue, read from the environment.

Development needs nothing set: DEBUG=1 (as `make run` sets it) gives a local SQLite database and a
throwaway secret key. Without DEBUG the process is treated as production and refuses to start
without a real SECRET_KEY.
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    value = os.environ.get(name, default).strip()
    if value and not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 120/min (or be empty), not {value!r}.")
    return value or None


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value in production, "
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"
elif not DEBUG and (
    SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use at least 50 random characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # modeltranslation must come before the admin so that it can patch the admin's forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    # Every edit of a strategy or a vocabulary label is kept, with who made it and why.
    "simple_history",
    # Locks out repeated failed sign-ins (see AXES_* below).
    "axes",
    "taxonomy",
    "strategies",
]

MIDDLEWARE = [
    # First, so that its headers are on every /api/ response, even one another middleware makes.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and long cache lifetimes, straight from the app server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "sherlock.routers.ReplicaReadsMiddleware",
    # One catalogue version per public read: every part of a page from the same catalogue.
    "strategies.middleware.OneCatalogueVersionPerRequest",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: history entries name the signed-in user who made the change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sherlock.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "strategies.context_processors.synthetic_records",
            ],
        },
    },
]

WSGI_APPLICATION = "sherlock.wsgi.application"
ASGI_APPLICATION = "sherlock.asgi.application"

# DATABASE_URL: a SQLite file in the project folder by default; postgres://user@host:port/name for
# PostgreSQL, which is driven by psycopg 3 through Django's connection pool.
DATABASES = {
    "default": dj_database_url.parse(
        # Set but empty (`DATABASE_URL=` in an environment file) is unset, as for REDIS_URL.
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A misspelt word is taken to mean a title word this similar (pg_trgm's `%>`; default 0.6
    # misses "firarms" for "firearms").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c pg_trgm.word_similarity_threshold=0.4"
    )
    if env_bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "10")),
            "timeout": 10,
        }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # A file rather than memory, so that tests can check what another process sees; one per
    # test run, so that runs side by side don't share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"sherlock-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first, so that a locked-out sign-in is refused before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in protection. Failures are counted per username *and* address together, so an attacker
# cannot lock every editor out from behind an office's shared address, nor one editor out from
# everywhere. A lockout lifts by itself after the cool-off; a superuser can lift it sooner by
# deleting the access attempt in the admin.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The client's address as the API's throttling reads it (REST_FRAMEWORK["NUM_PROXIES"] below):
# with N trusted proxies it is the Nth address from the right of X-Forwarded-For, the one the
# outermost trusted proxy saw; addresses a client puts further left are ignored. ipware counts
# the proxies listed in the header, which excludes the one connecting to us, hence N - 1;
# non-strict, so that a client-supplied prefix does not void the whole header.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# An editor's session ends after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# A change reason can name an imported file's whole path, longer than the default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# The six official languages of the United Nations.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Chinese")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Vocabulary labels are stored per language; a missing translation falls back to English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Attachments: what an editor may upload to a strategy.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024)))
# Uploads above Django's in-memory limit go to a temporary file; keep the request cap just above
# the attachment limit so that the form, not the server, reports a file that is too large.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The API (/api/): JSON in and out, token or session authentication, anonymous clients throttled by
# IP address. Rates are "number/period" with period s, min, hour or day; empty turns a limit off.
REST_FRAMEWORK = {
    # Token first: its "WWW-Authenticate: Token" header is what turns a refusal into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["strategies.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "strategies.api.schema.CatalogueAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["strategies.api.throttling.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", "120/min"),
        "export": env_rate("API_EXPORT_RATE", "10/min"),
    },
    # How many reverse proxies in front of the site append to X-Forwarded-For; 0 trusts none and
    # throttles by the connecting address.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "strategies.api.errors.exception_handler",
    # The API speaks JSON only (exports have URLs of their own), so ?format= switches nothing.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SHERLOCK strategies API",
    "DESCRIPTION": (
        "National strategies against organized crime: search with facet counts, the canonical "
        "JSON form of each strategy, exports, the vocabularies, and writes for editors."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's scripts and styles come from drf-spectacular-sidecar's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Cross-origin reads from any site; writes stay same-origin (no POST, PUT or PATCH preflight
# passes).
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "accept-language", "if-modified-since", "if-none-match")
CORS_EXPOSE_HEADERS = ("content-disposition", "etag", "retry-after")

# Where search facet counts and result order come from: "index" (an in-process bitmap index,
# rebuilt when the catalogue changes) or "sql" (plain queries; slower, needs no memory).
SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE", "index")
if SEARCH_ENGINE not in {"index", "sql"}:
    raise ImproperlyConfigured("SEARCH_ENGINE must be 'index' or 'sql'.")


# -- Production profile ---------------------------------------------------------------------
# Everything below is safe by default: without DEBUG every protection is on, and the few that a
# deployment may need to relax are read from the environment.

# Static files: hashed names (collectstatic) outside development and tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATICFILES_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env_bool("BEHIND_TLS_PROXY", default=False):
    # The proxy terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): no inline script anywhere, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin and Swagger UI set a few style attributes; scripts stay strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Cache: Redis when REDIS_URL is set (shared by every app server), else this process's memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Word searches' matches go to the cache too when it is shared, for the other workers and servers
# (strategies/word_matches.py); in this process's memory it would only repeat the facet index's.
SHARE_WORD_SEARCHES = env_bool("SHARE_WORD_SEARCHES", default=bool(os.environ.get("REDIS_URL")))

# Read replica: DATABASE_REPLICA_URL routes public reads there (see sherlock/routers.py).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"].setdefault("OPTIONS", {}).update(DATABASES["default"].get("OPTIONS", {}))
    # Tests run against one database: the replica mirrors the primary there.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["sherlock.routers.PrimaryReplicaRouter"]

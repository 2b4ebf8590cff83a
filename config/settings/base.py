"""Settings shared by every environment. Everything that differs between machines is read from
the environment (django-environ); with nothing set, the embedded services are used."""

from pathlib import Path

import environ

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
BASE_DOMAIN = env.str("LODESTAR_BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
DATA_DIR = embedded.data_dir()

# --- apps: django-tenants splits them between the public schema and each workspace schema ----
SHARED_APPS = [
    "django_tenants",
    "crm.tenancy",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "channels",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm.team",
]
# The CRM records: each workspace's schema has its own tables.
CRM_APPS = [
    "crm.audit",
    "crm.customfields",
    "crm.contacts",
    "crm.deals",
    "crm.leads",
    "crm.activities",
    "crm.api",
    "crm.imports",
    "crm.webhooks",
    "crm.notifications",
    "crm.search",
    "intelligence",
    "intelligence.deals",
    "intelligence.customers",
    "intelligence.forecast",
    "intelligence.ai",
    "intelligence.language",
    "intelligence.insights",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "crm.team",
    *CRM_APPS,
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]

TENANT_MODEL = "tenancy.Workspace"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New workspaces are cloned from this migrated schema instead of migrating each one.
TENANT_BASE_SCHEMA = "_workspace_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Send `SET search_path` once per connection and schema switch, not before every query (about
# 8 round trips of a typical API request). Safe since django-tenants 4.0.1: a ROLLBACK or
# ROLLBACK TO SAVEPOINT, which reverts a SET in PostgreSQL, also clears django-tenants' record
# of it (tests/tenancy/test_search_path.py holds that).
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "crm.tenancy.middleware.RequestIdMiddleware",
    "crm.tenancy.middleware.WorkspaceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"

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
                "crm.tenancy.context_processors.workspace",
                "crm.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"

# --- partner API (DRF) --------------------------------------------------------------------
# Every API view names the resource it serves (`scope_resource = "contacts"`); the permission
# class checks the API key's read/write scope for it by HTTP method.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.HasResourceScope"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("LODESTAR_API_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "crm.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only: errors are problem+json whatever the client asks for.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lodestar CRM partner API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": "Contacts, companies, leads, deals, activities, tasks and custom fields of "
    "one workspace. Authenticate with `Authorization: Bearer <API key>`; errors are "
    "application/problem+json. See docs/api.md.",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "crm.leads.models.LeadStatus",
        "ImportStatusEnum": "crm.imports.models.ImportJob.Status",
        "DeliveryStatusEnum": "crm.webhooks.models.DeliveryStatus",
    },
}

# --- imports and webhooks ---------------------------------------------------------------------
LODESTAR_IMPORT_MAX_BYTES = env.int("LODESTAR_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Partner webhooks may not target private, loopback or link-local addresses unless allowed.
LODESTAR_WEBHOOKS_ALLOW_PRIVATE = env.bool("LODESTAR_WEBHOOKS_ALLOW_PRIVATE", default=False)

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded.start_postgres()


def _database_config(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    socket_dir = config.get("OPTIONS", {}).pop("host", None)
    if socket_dir:  # pgserver's URL names its Unix socket directory as ?host=
        config["HOST"] = socket_dir
    config["ENGINE"] = "django_tenants.postgresql_backend"
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    return config


DATABASES = {"default": _database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: cache, channel layer, celery broker ------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="") or embedded.start_redis().url
# Every key and channel-layer group this deployment writes starts with this, so two
# deployments (or a test run beside a running demo) can share one Redis.
REDIS_PREFIX = env.str("LODESTAR_REDIS_PREFIX", default="lodestar")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
        # Cache keys carry the schema so one workspace never reads another's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL}], "prefix": REDIS_PREFIX},
    }
}

CELERY_BROKER_URL = embedded.celery_broker_url(REDIS_URL)
# The broker's keys (queues, bindings, unacked messages, control fan-out) carry the prefix too:
# otherwise a test run beside a running demo hands its messages to the demo's worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:"}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# The platform heartbeat: beat fans it out to every active workspace; /healthz reads its marks.
HEARTBEAT_INTERVAL_SECONDS = env.int("LODESTAR_HEARTBEAT_INTERVAL", default=30)
HEARTBEAT_STALE_AFTER_SECONDS = env.int("LODESTAR_HEARTBEAT_STALE_AFTER", default=120)

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "team.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Sign-in throttling (crm/team/login_throttle.py): failures before a lockout, per name from
# one address, per address, per name from anywhere; and how long a lockout lasts.
LOGIN_FAILURE_LIMIT = env.int("LODESTAR_LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LODESTAR_LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
LOGIN_NAME_FAILURE_LIMIT = env.int("LODESTAR_LOGIN_NAME_FAILURE_LIMIT", default=100)
LOGIN_LOCKOUT_SECONDS = env.int("LODESTAR_LOGIN_LOCKOUT_SECONDS", default=900)
# At most 3 reset mails an hour to one email, 10 requested from one address; and at most this
# many self-service sign-ups an hour from one address.
PASSWORD_RESET_EMAIL_LIMIT = env.int("LODESTAR_PASSWORD_RESET_EMAIL_LIMIT", default=3)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("LODESTAR_PASSWORD_RESET_ADDRESS_LIMIT", default=10)
SIGNUP_LIMIT_PER_HOUR = env.int("LODESTAR_SIGNUP_LIMIT_PER_HOUR", default=5)
THROTTLE_CACHE = "default"  # shared by every web process, so limits hold across them
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- email: offline default writes each message to a file under .data/mail/ ----------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(DATA_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Lodestar <no-reply@{BASE_DOMAIN}>")

# --- i18n / time ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static & media: media is stored per workspace (django-tenants' storage) -----------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- logging: every line carries the workspace schema and the request (or task) id ------------
LOG_LEVEL = env.str("LODESTAR_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "crm.tenancy.logging.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(schema)s] [%(request_id)s] "
            "%(name)s: %(message)s"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
        "pgserver": {"level": "WARNING"},
    },
}

# --- AI gateway (intelligence.ai; docs/ai-gateway.md) — begin ------------------------------
# Fernet keys for stored provider API keys, comma-separated, newest first (rotation: put a new
# key first, keep the old ones, run `manage.py ai_rotate_keys`, then drop the old ones).
# Unset: one key derived from SECRET_KEY (changing SECRET_KEY then makes stored keys unreadable).
LODESTAR_SECRET_ENCRYPTION_KEY = env.list("LODESTAR_SECRET_ENCRYPTION_KEY", default=[])
LODESTAR_AI_TIMEOUT_SECONDS = env.float("LODESTAR_AI_TIMEOUT_SECONDS", default=20.0)
# The gateway falls back to the next engine itself; SDK retries would only delay that.
LODESTAR_AI_MAX_RETRIES = env.int("LODESTAR_AI_MAX_RETRIES", default=0)
LODESTAR_AI_MAX_OUTPUT_TOKENS = env.int("LODESTAR_AI_MAX_OUTPUT_TOKENS", default=1024)
# Circuit breaker: this many consecutive failures open it for the cool-down (seconds).
LODESTAR_AI_BREAKER_FAILURES = env.int("LODESTAR_AI_BREAKER_FAILURES", default=3)
LODESTAR_AI_BREAKER_COOLDOWN_SECONDS = env.int("LODESTAR_AI_BREAKER_COOLDOWN_SECONDS", default=30)
# Price overrides, USD per million tokens: {"model-prefix": [input, output], ...}.
LODESTAR_AI_PRICES = env.json("LODESTAR_AI_PRICES", default={})
# --- AI gateway — end ------------------------------------------------------------------------

# Customer lifetime value: monthly discount rate applied to expected revenue (0 = none).
LODESTAR_CLV_MONTHLY_DISCOUNT_RATE = env.float("LODESTAR_CLV_MONTHLY_DISCOUNT_RATE", default=0.0)

"""Django settings, read from the environment.

Everything the platform writes lives under ``SAFETYNET_HOME`` (default ``./var``): the SQLite
database, the lake of Parquet batches and uploaded files. ``DATABASE_URL`` switches the
operational store to PostgreSQL.

``SAFETYNET_PROFILE=production`` (what ``scripts/serve`` runs under gunicorn) refuses to start
without ``SAFETYNET_SECRET_KEY``, never runs with DEBUG, and sends cookies only over HTTPS with
HSTS. The default profile, ``development``, is the demo's.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("SAFETYNET_HOME", "var")).resolve()
LAKE_DIR = HOME / "lake"
MEDIA_ROOT = HOME / "uploads"
# Uploads stream to a temporary file on disk (never held in memory), capped as they arrive.
FILE_UPLOAD_HANDLERS = [
    "safetynet.sources.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
SAFETYNET_UPLOAD_MAX_BYTES = int(os.environ.get("SAFETYNET_UPLOAD_MAX_BYTES", str(1 << 30)))

PROFILE = os.environ.get("SAFETYNET_PROFILE", "development")
if PROFILE not in ("development", "production"):
    raise ImproperlyConfigured(f"SAFETYNET_PROFILE must be development or production, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"

if PRODUCTION:
    SECRET_KEY = os.environ.get("SAFETYNET_SECRET_KEY", "")
    if len(SECRET_KEY) < 32 or "insecure" in SECRET_KEY:
        raise ImproperlyConfigured(
            "生产环境必须设置 SAFETYNET_SECRET_KEY（至少 32 个字符的随机串）。"
            " SAFETYNET_SECRET_KEY must be set to a random string of at least 32 characters in production."
        )
    if os.environ.get("SAFETYNET_DEBUG", "0") == "1":
        raise ImproperlyConfigured("SAFETYNET_DEBUG=1 is refused under SAFETYNET_PROFILE=production")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SAFETYNET_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
    DEBUG = os.environ.get("SAFETYNET_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("SAFETYNET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "safetynet.core",
    "safetynet.accounts",
    "safetynet.audit",
    "safetynet.regions",
    "safetynet.registry",
    "safetynet.sources",
    "safetynet.verification",
    "safetynet.rules",
    "safetynet.cases",
    "safetynet.monitoring",
    "safetynet.payments",
    "safetynet.supervision",
    "safetynet.resources",
    "safetynet.portal",
    "safetynet.demo",
    "safetynet.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "safetynet.core.middleware.InputLimitsMiddleware",
    "safetynet.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safetynet.accounts.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safetynet.urls"
WSGI_APPLICATION = "safetynet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60)
    HOME.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": HOME / "safetynet.sqlite3",
        "OPTIONS": {
            # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at
            # BEGIN so two transitions on one case serialise instead of failing on upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "safetynet.accounts.passwords.BreachedPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "safetynet.accounts.backends.AddressThrottleBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): five failures for one username, from whatever addresses, lock
# it for 15 minutes; one address failing for SAFETYNET_LOGIN_ADDRESS_FAILURE_LIMIT attempts across
# any usernames (credential stuffing) is locked as well (accounts.backends). An admin unlocks
# with ``safetynet unlock-login``.
AXES_FAILURE_LIMIT = int(os.environ.get("SAFETYNET_LOGIN_FAILURE_LIMIT", "5"))
SAFETYNET_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SAFETYNET_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that a lock by username alone lets an attacker rotate addresses; the address half
# is accounts.backends.AddressThrottleBackend (a lock per address across usernames).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# The audit chain (audit.keys, audit.checkpoints): HMAC keys and signed checkpoints live outside
# the database. SAFETYNET_AUDIT_KEYS may carry the key ring itself (JSON, from a secret store).
SAFETYNET_AUDIT_DIR = Path(os.environ.get("SAFETYNET_AUDIT_DIR", HOME / "audit"))
SAFETYNET_AUDIT_KEY_FILE = Path(os.environ.get("SAFETYNET_AUDIT_KEY_FILE", HOME / "keys" / "audit.json"))
SAFETYNET_AUDIT_KEYS = os.environ.get("SAFETYNET_AUDIT_KEYS") or None
SAFETYNET_AUDIT_CHECKPOINT_EVERY = int(os.environ.get("SAFETYNET_AUDIT_CHECKPOINT_EVERY", "1000"))
SAFETYNET_AUDIT_CHECKPOINT_SECONDS = float(os.environ.get("SAFETYNET_AUDIT_CHECKPOINT_SECONDS", "600"))

# The engine (safetynet.engine.backend): explicit sizes rather than each library's guess. DuckDB gets
# a thread count, a memory cap and a spill folder; Spark (local mode here) the same, as cores, driver
# memory and a scratch folder. The defaults suit a small worker (all cores, half the memory).
SAFETYNET_ENGINE_THREADS = int(os.environ.get("SAFETYNET_ENGINE_THREADS", str(os.cpu_count() or 2)))
SAFETYNET_ENGINE_MEMORY_LIMIT = os.environ.get(
    "SAFETYNET_ENGINE_MEMORY_LIMIT",
    f"{max(1, (os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')) // 2**30 // 2)}GB",
)
SAFETYNET_ENGINE_TEMP_DIR = Path(os.environ.get("SAFETYNET_ENGINE_TEMP_DIR", HOME / "tmp" / "engine"))
SAFETYNET_SPARK_MASTER = os.environ.get("SAFETYNET_SPARK_MASTER", f"local[{SAFETYNET_ENGINE_THREADS}]")
SAFETYNET_SPARK_DRIVER_MEMORY = os.environ.get("SAFETYNET_SPARK_DRIVER_MEMORY", "4g")
SAFETYNET_SPARK_PARTITIONS = int(os.environ.get("SAFETYNET_SPARK_PARTITIONS", "4"))

# Personal data at rest (core.crypto): the AES-GCM key ring and the blind-index key live outside the
# database, as files under HOME/keys by default or as JSON key rings from a secret store.
SAFETYNET_DATA_KEY_FILE = Path(os.environ.get("SAFETYNET_DATA_KEY_FILE", HOME / "keys" / "data.json"))
SAFETYNET_DATA_KEYS = os.environ.get("SAFETYNET_DATA_KEYS") or None
SAFETYNET_INDEX_KEY_FILE = Path(os.environ.get("SAFETYNET_INDEX_KEY_FILE", HOME / "keys" / "index.json"))
SAFETYNET_INDEX_KEY = os.environ.get("SAFETYNET_INDEX_KEY") or None

# Record linkage (Splink): a source row with a bad ID is accepted under the registry person only
# at or above this match probability; below it goes to the clerical review queue.
SAFETYNET_LINK_THRESHOLD = float(os.environ.get("SAFETYNET_LINK_THRESHOLD", "0.95"))

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
# Serve app static files straight from the packages: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A session ends after a working day without use (accounts.middleware.IdleSessionMiddleware
# slides the expiry forward as the officer works) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SAFETYNET_SESSION_IDLE_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# API tokens expire (accounts.services.api_token_issue) unless issued with another date.
SAFETYNET_API_TOKEN_DAYS = int(os.environ.get("SAFETYNET_API_TOKEN_DAYS", "90"))
# A JSON or form body larger than this is answered 413 (uploaded files have their own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("SAFETYNET_MAX_BODY_BYTES", str(2_621_440)))

# Scripts run only from this origin or with the request's nonce (core.middleware); styles may be
# inline (style attributes cannot carry a nonce); nothing is framed or loaded from elsewhere.
SAFETYNET_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = int(os.environ.get("SAFETYNET_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = os.environ.get("SAFETYNET_SSL_REDIRECT", "1") == "1"
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (scripts/serve says how).
    if os.environ.get("SAFETYNET_BEHIND_PROXY", "0") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SAFETYNET_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
    # collectstatic into STATIC_ROOT, compressed; whitenoise serves them.
    WHITENOISE_USE_FINDERS = False
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SAFETYNET_LOG_LEVEL", "WARNING")},
}

# Monitoring: home visits a community can make in a week when no VisitCapacity row says otherwise
# (about 5% of a 400-household community a month), and the share of them given to exploration.
MONITORING_WEEKLY_VISITS = int(os.environ.get("SAFETYNET_MONITORING_WEEKLY_VISITS", "5"))
MONITORING_EXPLORE_SHARE = 0.1
# The least expected find per visit (the model's calibrated probability) that fills a slot the
# operating threshold left free: about today's rules' precision (one find in six alerts).
MONITORING_MIN_EXPECTED_FIND = 0.17
# With a promoted model, the visits stop where the expected precision of the area's visits would fall
# below this; exploration visits count too. The target is one find in two visits: the
# model's probabilities ran about 0.05 high on households nobody had visited (development city,
# seed 2), so the expected precision asked for is 0.55.
MONITORING_MIN_PRECISION = 0.55
# A model ranks only once it has learned from this many visit outcomes; until then the cold-start
# prior fills the capacity (about two months of 5 % of households on the evaluation's demo city).
MONITORING_MIN_OUTCOMES = 2000
# With a promoted model, the learning phase (model.learning): while the recall of the model's visits,
# estimated from visit outcomes alone, is below this, each full run's spare slots go to a
# probability sample of the rest of the pool (抽样核查), replacing the exploration share. None: no
# learning phase, the exploration share as before.
MONITORING_LEARN_UNTIL = 0.95
# A household whose alert was closed with a visit outcome (走访结论) stays out of the model's pool
# (模型预警, 抽样核查) for this many days after the visit: the worker was just there, and the data
# the model ranks it on has not changed. The rules still alert on it (a new event is new data), and
# a mandatory trigger is always sent.
MONITORING_REVISIT_AFTER_DAYS = int(os.environ.get("SAFETYNET_MONITORING_REVISIT_AFTER_DAYS", "180"))

"""Parlour settings: one module, configured only from the environment.

Unset variables give the embedded default (SQLite file + in-memory channel layer,
debug on). Production sets DJANGO_DEBUG=0 and a real DJANGO_SECRET_KEY; scaled
mode adds DATABASE_URL (PostgreSQL) and REDIS_URL (Redis channel layer).
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            '(generate one with: python -c "import secrets; '
            'print(secrets.token_urlsafe(50))").'
        )
    # Development only: a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-parlour-development-key-do-not-use-in-production"

# --- Deployment: hosts and HTTPS (docs/deploy.md) -------------------------------
# Debug off means production settings. DJANGO_HTTPS says how visitors reach the site:
# on (the default) for the real thing, behind a TLS-terminating proxy that sets
# X-Forwarded-Proto; off only for a local trial on plain HTTP (`make serve`), where an
# HTTPS redirect and Secure cookies would leave the browser with nothing that works.
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else ""
)
if not DEBUG and not ALLOWED_HOSTS:
    # Otherwise every request would be refused as a bad Host (400).
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
        "(e.g. parlour.example, or 127.0.0.1,localhost for a local trial)."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
PARLOUR_HTTPS = not DEBUG and env_bool("DJANGO_HTTPS", True)
# --- end of deployment block --------------------------------------------------------

INSTALLED_APPS = [
    # daphne first so that `runserver` is the ASGI (WebSocket-capable) server.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "template_partials",
    "site_config.apps.SiteConfig",
    "site_config.realtime.apps.RealtimeConfig",
    "site_config.visitors.apps.VisitorsConfig",
    "chat.apps.ChatConfig",
    "roulette.apps.RouletteConfig",
    "chess.apps.ChessConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    # Before anything reads a body: 413/400 for oversized or overfull ones.
    "site_config.request_limits.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "site_config.urls"
ASGI_APPLICATION = "site_config.asgi.application"

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
                "site_config.visitors.context_processors.identity",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("PARLOUR_SQLITE_PATH", BASE_DIR / "db.sqlite3"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        # Persistent connections: HTTP requests run on a few reused threads
        # (site_config/sync_threads.py), each keeping one connection, as under a
        # threaded WSGI server; without that reuse Django advises 0 under ASGI.
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing with "database is locked" on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # (the busy timeout is the "timeout" above)
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file (not :memory:) so that threads and subprocesses can share it;
    # one per test process so that concurrent runs never meet.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get(
            "PARLOUR_TEST_SQLITE_PATH",
            str(Path(tempfile.gettempdir()) / f"parlour-test-{os.getpid()}.sqlite3"),
        )
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Threads that run Django's sync code for HTTP requests (site_config/sync_threads.py),
# each with its own database connection; requests beyond them wait their turn.
PARLOUR_HTTP_THREADS = int(
    os.environ.get("PARLOUR_HTTP_THREADS") or max(2, os.cpu_count() or 1)
)

# --- Channels -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get(
                "PARLOUR_CHANNEL_LAYER",
                "channels_redis.pubsub.RedisPubSubChannelLayer",
            ),
            "CONFIG": {
                # redis-py's 5 s default read timeout kills idle consumers (1011).
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                # Used by the core layer only (Pub/Sub has no expiry): see above.
                "group_expiry": 10 * 365 * 24 * 3600,
                # Several sites (or a benchmark) sharing one Redis keep apart by
                # prefix; Pub/Sub channels ignore the database number.
                "prefix": os.environ.get("PARLOUR_CHANNEL_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # A process's hub joins a group once and stays while it has members, so
            # membership must not expire after the default day (realtime/hub.py).
            "CONFIG": {"capacity": 1000, "group_expiry": 10 * 365 * 24 * 3600},
        }
    }

# --- Cache, auth, security ------------------------------------------------------
# The cache is one all processes share (Redis in the scaled mode) or the process's
# own (the embedded mode runs one process). Sessions: see Outages below.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, where a Redis outage is a miss (see Outages).
            "BACKEND": "site_config.outages.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("PARLOUR_CACHE_PREFIX", "parlour"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"


AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PARLOUR_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Health probes (systemd, a load balancer) ask daphne directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # The proxy terminates TLS and says so in X-Forwarded-Proto (it must overwrite
    # any value a client sent, and daphne must be reachable only through it).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic writes (and ServeStatic or nginx serve from).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development ServeStatic finds files in place; production serves collectstatic's.
SERVESTATIC_USE_FINDERS = DEBUG
SERVESTATIC_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # The handler's level filters records propagated from Django's and daphne's own
    # loggers too, which would otherwise print every access line twice.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
        },
        "transport": {"class": "logging.StreamHandler", "level": "INFO"},
        "one_line": {
            "class": "logging.StreamHandler",
            "filters": ["without_traceback"],
        },
    },
    "filters": {"without_traceback": {"()": "site_config.hosts.WithoutTraceback"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
    },
    # The start-up line naming the active WebSocket transport (and the first
    # connection's) is shown whatever the level.
    "loggers": {
        "site_config.realtime.transports": {
            "handlers": ["transport"],
            "level": "INFO",
            "propagate": False,
        },
        # A bad Host header is anyone's typo or a scanner's probe, answered with the
        # 400 page: one line, without the traceback Django attaches.
        "django.security.DisallowedHost": {
            "handlers": ["one_line"],
            "propagate": False,
        },
    },
}

# Largest WebSocket text frame the consumers accept; larger ones get an error frame.
PARLOUR_MAX_FRAME_BYTES = 64 * 1024
# Unsent bytes one socket may queue before it is closed as too slow (code 4008).
PARLOUR_WS_MAX_BACKLOG_BYTES = int(
    os.environ.get("PARLOUR_WS_MAX_BACKLOG_BYTES", 1024 * 1024)
)
# Under daphne, write hub frames straight to the socket (site_config/realtime/
# transports.py, docs/adr/0002-daphne-direct-write.md); 0 turns that path off.
PARLOUR_WS_DIRECT_WRITE = env_bool("PARLOUR_WS_DIRECT_WRITE", True)
# Presence (site_config/realtime/presence.py): each process refreshes its sockets'
# rows this often; a row older than the TTL (three missed beats) no longer counts.
PARLOUR_PRESENCE_HEARTBEAT_SECONDS = float(
    os.environ.get("PARLOUR_PRESENCE_HEARTBEAT_SECONDS") or 10
)
PARLOUR_PRESENCE_TTL_SECONDS = float(
    os.environ.get("PARLOUR_PRESENCE_TTL_SECONDS")
    or 3 * PARLOUR_PRESENCE_HEARTBEAT_SECONDS
)

# App limits and timings. Defaults and meaning live in chat/conf.py, chess/conf.py
# and roulette/conf.py; the environment may override them (an operator's table
# limits, a benchmark's flood control, a crash test's short presence expiry).
NUMERIC_TUNABLES = (
    "CHAT_FLOOD_COUNT",
    "CHAT_FLOOD_SECONDS",
    "CHAT_TYPING_INTERVAL",
    "CHESS_GONE_CLAIM_SECONDS",
    "ROULETTE_STARTING_BANKROLL",
)
for _name in NUMERIC_TUNABLES:
    if os.environ.get(_name):
        _value = float(os.environ[_name])
        globals()[_name] = int(_value) if _value.is_integer() else _value
if os.environ.get("ROULETTE_LIMITS"):
    # e.g. ROULETTE_LIMITS='{"inside_max": 200, "outside_max": 1000}'
    ROULETTE_LIMITS = json.loads(os.environ["ROULETTE_LIMITS"])

# --- Content-Security-Policy and rate limits --------------------------------------
# django-csp sends the policy on every response. No inline script or style is
# allowed anywhere (style attributes included): the pages use the one stylesheet
# and the per-app modules only, and so does the admin.


def websocket_sources(hosts: list[str], *, plain: bool) -> list[str]:
    """ws(s) sources for the sockets of `hosts`, on any port.

    CSP Level 3 lets 'self' cover same-origin sockets, but older browsers need
    them named; wss only once the site is served over HTTPS (DEBUG off with the
    SSL redirect on). A wildcard host, or an IPv6 literal (which CSP source
    syntax cannot express), is left to 'self'.
    """
    names = []
    for host in hosts:
        if host in {"", "*"} or host.startswith("["):
            continue
        # Django's ".example.com" is the domain and its subdomains.
        names += [host[1:], f"*{host}"] if host.startswith(".") else [host]
    schemes = ("ws", "wss") if plain else ("wss",)
    return [f"{scheme}://{name}:*" for name in names for scheme in schemes]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [
            SELF,
            *websocket_sources(
                ALLOWED_HOSTS,
                plain=DEBUG or not env_bool("DJANGO_SECURE_SSL_REDIRECT", True),
            ),
        ],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)

# Rate limits (site_config/visitors/ratelimits.py, docs/security.md): counted in
# the default cache. PARLOUR_RATE_LIMITS overrides named limits with JSON, e.g.
# '{"login_ip": "60/5m", "api_session_create": null}' (null turns one off).
# PARLOUR_RATE_LIMITS_ENABLED=0 turns them all off (django-ratelimit's switch).
RATELIMIT_ENABLE = env_bool("PARLOUR_RATE_LIMITS_ENABLED", True)
PARLOUR_RATE_LIMITS: dict[str, str | None] = json.loads(
    os.environ.get("PARLOUR_RATE_LIMITS") or "{}"
)
# How many proxies in front of daphne append to X-Forwarded-For (nginx with
# $proxy_add_x_forwarded_for counts as one). 0 trusts REMOTE_ADDR only.
PARLOUR_TRUSTED_PROXY_COUNT = int(os.environ.get("PARLOUR_TRUSTED_PROXY_COUNT") or 0)
RATELIMIT_IP_META_KEY = "site_config.visitors.ratelimits.client_ip"
# A cache that answers "nothing" instead of raising also lets requests through.
RATELIMIT_FAIL_OPEN = True

# --- Outages (docs/outages.md) -----------------------------------------
# Sessions never depend on Redis: in the scaled mode they are read from the
# database (one indexed primary-key read per request that uses the session), so a
# Redis outage costs live updates, not pages (docs/adr/0009-database-sessions.md).
# The embedded mode has no Redis and keeps cached_db with the process's own cache.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if not REDIS_URL and not os.environ.get("DATABASE_URL")
    else "django.contrib.sessions.backends.db"
)
# The database unreachable: a 503 page (JSON for the API) and one log line, not a
# 500 with a traceback per request (site_config/outages.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "site_config.outages.DatabaseUnavailableMiddleware",
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable (not refusing) server fails a request in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# Each process's hub probes the channel layer this often (site_config/realtime/
# hub.py): a failed probe closes its sockets with 4503 and refuses new ones until a
# probe comes back. 0: only a failed publish detects an outage.
PARLOUR_LAYER_PROBE_SECONDS = float(os.environ.get("PARLOUR_LAYER_PROBE_SECONDS") or 2)
# channels_redis logs a traceback every second while Redis is down; one line each.
LOGGING["filters"]["outage"] = {"()": "site_config.outages.OutageTracebackFilter"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("outage")

"""Settings come from the environment only; each mode is checked in a fresh process."""

import json
import subprocess
import sys

from tests.support import ROOT, server_env

PROBE = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
layer = settings.CHANNEL_LAYERS["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "options": db.get("OPTIONS", {}),
    "conn_max_age": db["CONN_MAX_AGE"], "layer": layer["BACKEND"],
    "conn_health_checks": db["CONN_HEALTH_CHECKS"],
    "layer_config": layer.get("CONFIG", {}), "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS, "session_engine": settings.SESSION_ENGINE,
    "cache": settings.CACHES["default"]["BACKEND"],
}))
"""


def run_probe(code: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh Python process with the site's settings and `env`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=server_env(DJANGO_SETTINGS_MODULE="site_config.settings", **env),
        capture_output=True,
        text=True,
        check=True,
    )


def settings_in(**env: str | None) -> dict:
    return json.loads(
        run_probe(f"import django; django.setup()\n{PROBE}", **env).stdout
    )


def test_default_mode_is_sqlite_wal_and_in_memory_layer():
    found = settings_in()
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in found["options"]["init_command"]
    assert found["options"]["timeout"] > 0
    # Kept: HTTP requests run on reused threads (site_config/sync_threads.py).
    assert found["conn_max_age"] == 600
    assert found["conn_health_checks"] is True
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    # One process: sessions cached in its memory, written through to SQLite.
    assert found["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_url_selects_postgresql():
    found = settings_in(DATABASE_URL="postgres://u:p@db.example:5432/parlour")
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["name"] == "parlour"
    assert found["conn_max_age"] == 600
    # Several processes may share the database but no cache: sessions stay in it.
    assert found["session_engine"] == "django.contrib.sessions.backends.db"


def test_redis_url_keeps_sessions_in_the_database_and_a_degrading_cache():
    """A Redis outage must not cost pages: sessions never go through Redis."""
    found = settings_in(
        DATABASE_URL="postgres://u:p@db.example:5432/parlour",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert found["cache"] == "site_config.outages.DegradingRedisCache"
    assert found["session_engine"] == "django.contrib.sessions.backends.db"


def test_redis_url_selects_redis_layer_without_read_timeout():
    found = settings_in(REDIS_URL="redis://127.0.0.1:6379/0")
    assert found["layer"].startswith("channels_redis.")
    host = found["layer_config"]["hosts"][0]
    assert host["address"] == "redis://127.0.0.1:6379/0"
    assert host["socket_timeout"] is None


def test_allowed_hosts_from_environment():
    found = settings_in(DJANGO_ALLOWED_HOSTS="a.example, b.example")
    assert found["hosts"] == ["a.example", "b.example"]


def test_production_without_secret_key_fails_clearly():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=server_env(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=None),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_in_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=server_env(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="x" * 20 + "-a-long-random-production-secret-0123456789",
            DJANGO_ALLOWED_HOSTS="example.com",
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_app_limits_come_from_the_environment():
    probe = (
        "import django; django.setup()\n"
        "import json\n"
        "from chat import conf as chat_conf\n"
        "from chess import conf as chess_conf\n"
        "from roulette import conf as roulette_conf\n"
        "print(json.dumps({\n"
        "    'flood': chat_conf.get_int('CHAT_FLOOD_COUNT'),\n"
        "    'gone': chess_conf.gone_claim_seconds(),\n"
        "    'limits': roulette_conf.limits().as_dict(),\n"
        "}))\n"
    )
    result = run_probe(
        probe,
        CHAT_FLOOD_COUNT="9",
        CHESS_GONE_CLAIM_SECONDS="45",
        ROULETTE_LIMITS='{"inside_max": 200}',
    )
    found = json.loads(result.stdout)
    assert found["flood"] == 9
    assert found["gone"] == 45
    assert found["limits"]["inside_max"] == 200
    assert found["limits"]["outside_max"] == 500  # the defaults fill the rest


def asgi_start_up_log(**env: str | None) -> str:
    return run_probe("import site_config.asgi", **env).stderr


def test_start_up_names_the_active_websocket_transport():
    assert "realtime transport: daphne-direct under daphne" in asgi_start_up_log()
    off = asgi_start_up_log(PARLOUR_WS_DIRECT_WRITE="0")
    assert "realtime transport: outbox (daphne-direct is off: switched off" in off


def test_presence_timings_come_from_the_environment():
    probe = (
        "import django; django.setup()\n"
        "from site_config.realtime import presence\n"
        "print(presence.heartbeat_seconds(), presence.ttl_seconds())\n"
    )
    result = run_probe(probe, PARLOUR_PRESENCE_HEARTBEAT_SECONDS="2")
    assert result.stdout.split() == ["2.0", "6.0"]  # the TTL is three beats


# --- production: the local trial and the real deployment (docs/deploy.md) ---------

SECRET = "x" * 20 + "-a-long-random-production-secret-0123456789"

HTTPS_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG, "hosts": settings.ALLOWED_HOSTS,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "redirect_exempt": settings.SECURE_REDIRECT_EXEMPT,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "static_root": str(settings.STATIC_ROOT),
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def production_settings(**env: str | None) -> dict:
    return json.loads(
        run_probe(
            f"import django; django.setup()\n{HTTPS_PROBE}",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=SECRET,
            **env,
        ).stdout
    )


def test_the_real_deployment_trusts_the_proxy_and_insists_on_https():
    found = production_settings(DJANGO_ALLOWED_HOSTS="parlour.example")
    assert found["debug"] is False
    assert found["hosts"] == ["parlour.example"]
    assert found["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["ssl_redirect"] is True
    assert found["session_secure"] is True and found["csrf_secure"] is True
    assert found["hsts"] == 60 * 60 * 24 * 365
    assert (
        found["storage"] == "servestatic.storage.CompressedManifestStaticFilesStorage"
    )
    # Probes ask a daphne process directly, over plain HTTP.
    assert found["redirect_exempt"] == ["^healthz$", "^readyz$"]


def test_the_local_trial_is_production_on_plain_http():
    found = production_settings(
        DJANGO_HTTPS="0", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
    )
    assert found["debug"] is False
    assert (
        found["storage"] == "servestatic.storage.CompressedManifestStaticFilesStorage"
    )
    assert found["proxy_header"] is None  # no proxy: no header to trust
    assert found["ssl_redirect"] is False
    assert found["session_secure"] is False and found["csrf_secure"] is False
    assert found["hsts"] == 0


def test_https_settings_do_not_apply_in_debug():
    found = json.loads(
        run_probe(
            f"import django; django.setup()\n{HTTPS_PROBE}", DJANGO_HTTPS="1"
        ).stdout
    )
    assert found["ssl_redirect"] is False and found["session_secure"] is False


def test_static_root_comes_from_the_environment(tmp_path):
    found = production_settings(
        DJANGO_ALLOWED_HOSTS="parlour.example", DJANGO_STATIC_ROOT=str(tmp_path)
    )
    assert found["static_root"] == str(tmp_path)


def test_production_without_allowed_hosts_fails_clearly():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=server_env(
            DJANGO_DEBUG="0", DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS=None
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_flags_the_plain_http_trial():
    """The trial is not a deployment: `check --deploy` says what it lacks."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=server_env(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=SECRET,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_HTTPS="0",
        ),
        capture_output=True,
        text=True,
    )
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout

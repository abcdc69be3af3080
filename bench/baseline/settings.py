"""Settings of the minimal Channels server: the Channels tutorial, nothing more.

The layer is the tutorial's: the in-memory layer with its defaults, or, with
BENCH_REDIS_URL, the Redis core layer (`channels_redis.core.RedisChannelLayer`;
BENCH_CHANNEL_LAYER overrides the class, e.g. the Pub/Sub layer).
"""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.urls"
ASGI_APPLICATION = "bench.baseline.asgi.application"
DATABASES: dict = {}
USE_TZ = True
# Read by the hub consumer (site_config.realtime) only.
PARLOUR_MAX_FRAME_BYTES = 64 * 1024
PARLOUR_WS_MAX_BACKLOG_BYTES = 1024 * 1024
PARLOUR_WS_DIRECT_WRITE = os.environ.get("PARLOUR_WS_DIRECT_WRITE", "1") != "0"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

_redis = os.environ.get("BENCH_REDIS_URL", "")
if _redis:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get(
                "BENCH_CHANNEL_LAYER", "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {
                "hosts": [{"address": _redis, "socket_timeout": None}],
                "prefix": os.environ.get("BENCH_LAYER_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

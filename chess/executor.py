"""The chess socket path's database thread: every chess command from a WebSocket runs
here, in arrival order, on one long-lived connection (`site_config.realtime.tasks`)."""

from site_config.realtime.tasks import DatabaseThread

chess_db = DatabaseThread("chess-db")

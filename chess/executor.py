"""The chess socket path's database thread: every chess command from a WebSocket runs
here, in arrival order, on one long-lived connection (see `site_config.dbthread`)."""

from site_config.dbthread import DatabaseThread

chess_db = DatabaseThread("chess-db", batch=True)
run = chess_db.run
close_connection = chess_db.close_connection

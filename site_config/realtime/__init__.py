"""Shared realtime layer: hub, consumer base, transports, protocol checks, the event
pipeline (`publish_on_commit`), presence, timers and database threads.

Nothing here imports an app: apps build on it (import-linter keeps it so).
"""

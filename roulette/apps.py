"""Roulette app: wheel, betting table, JSON API and strategy simulator."""

from django.apps import AppConfig


class RouletteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "roulette"
    verbose_name = "Roulette"

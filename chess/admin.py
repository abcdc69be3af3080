"""Admin for chess: games with their moves, filters by status, and an abort action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from chess import services
from chess.models import Game, Move


class MoveInline(admin.TabularInline):
    model = Move
    extra = 0
    can_delete = False
    fields = ("ply", "uci", "san", "fen_after", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "white_name",
        "black_name",
        "status",
        "result",
        "termination",
        "ply",
        "created_at",
        "updated_at",
    )
    list_filter = ("status", "termination", "colour_choice")
    search_fields = ("public_id", "white_name", "black_name")
    date_hierarchy = "created_at"
    inlines = [MoveInline]
    actions = ["abort_games"]
    # Who holds a seat is nobody's business, staff's included (and is useless
    # without that visitor's session cookie anyway).
    exclude = ("white_visitor", "black_visitor")
    # Game state changes only through services (locked, versioned, broadcast).
    readonly_fields = (
        "public_id",
        "white_name",
        "black_name",
        "colour_choice",
        "status",
        "result",
        "termination",
        "start_fen",
        "fen",
        "ply",
        "moves_uci",
        "moves_san",
        "draw_offer",
        "version",
        "created_at",
        "updated_at",
        "started_at",
        "ended_at",
        "flag_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Abort selected games (players see it live)")
    def abort_games(self, request: HttpRequest, queryset: QuerySet[Game]) -> None:
        aborted = 0
        for public_id in queryset.values_list("public_id", flat=True):
            try:
                services.game_abort(game_id=public_id, staff=True)
            except services.GameError:
                continue  # already over
            aborted += 1
        self.message_user(
            request, f"Aborted {aborted} game(s).", level=messages.SUCCESS
        )


@admin.register(Move)
class MoveAdmin(admin.ModelAdmin):
    list_display = ("game", "ply", "san", "uci", "created_at")
    search_fields = ("game__public_id", "san", "uci")
    list_select_related = ("game",)
    readonly_fields = ("game", "ply", "uci", "san", "fen_after", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

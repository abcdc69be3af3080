"""URLs of the chess app."""

from django.urls import path

from chess import views

app_name = "chess"
urlpatterns = [
    path("", views.lobby, name="lobby"),
    path("lobby/lists/", views.lobby_lists, name="lobby_lists"),
    path("<slug:public_id>/", views.game_detail, name="game"),
    path("<slug:public_id>/join/", views.game_join, name="join"),
    path("<slug:public_id>/command/", views.game_command, name="command"),
    path("<slug:public_id>/pgn/", views.game_pgn, name="pgn"),
    path("<slug:public_id>/state.json", views.game_state_json, name="state"),
    path("<slug:public_id>/move.json", views.game_move_json, name="move_json"),
]

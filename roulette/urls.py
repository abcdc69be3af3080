"""URLs of the roulette app: the table (PRG actions), wheel service, simulator, API."""

from django.urls import path, re_path

from roulette import api, views

app_name = "roulette"
urlpatterns = [
    path("", views.table, name="table"),
    path("bets/", views.bet_place, name="bet_place"),
    path("bets/undo/", views.bet_undo, name="bet_undo"),
    path("bets/clear/", views.bets_clear, name="bets_clear"),
    path("bets/rebet/", views.bets_rebet, name="bets_rebet"),
    path("bets/double/", views.bets_double, name="bets_double"),
    path("spin/", views.spin, name="spin"),
    path("reset/", views.reset, name="reset"),
    path("wheel-type/", views.wheel_type, name="wheel_type"),
    path("wheel/", views.wheel_service, name="wheel"),
    path("simulator/", views.simulator, name="simulator"),
    # JSON API (docs/api.md). Session ids are matched as plain strings so that a
    # malformed id gets the API's JSON 404 rather than the HTML one.
    path("api/", api.index, name="api_index"),
    path("api/sessions/", api.sessions, name="api_sessions"),
    path("api/sessions/<str:session_id>/", api.session_detail, name="api_session"),
    path("api/sessions/<str:session_id>/bets/", api.bets, name="api_bets"),
    path(
        "api/sessions/<str:session_id>/bets/<int:bet_id>/",
        api.bet_detail,
        name="api_bet",
    ),
    path("api/sessions/<str:session_id>/spins/", api.spins, name="api_spins"),
    path(
        "api/sessions/<str:session_id>/spins/<int:spin_id>/",
        api.spin_detail,
        name="api_spin",
    ),
    path("api/spins/", api.wheel_spins, name="api_wheel_spins"),
    path("api/spins/<int:spin_id>/", api.wheel_spin_detail, name="api_wheel_spin"),
    re_path(r"^api/(?P<rest>.*)$", api.not_found),
]

"""Seats held by visitor id instead of session key.

Each seat's session key becomes the visitor id written into that session's data
(the same id the roulette and visitors migrations find for it); a seat whose
session is gone gets an id nobody holds, as nobody could present that key again.
"""

from typing import Any

from django.db import migrations, models

from site_config.visitors.session_migration import SessionVisitorIds


def seats_to_visitor_ids(apps: Any, schema_editor: Any) -> None:
    game_model = apps.get_model("chess", "Game")
    ids = SessionVisitorIds()
    seated = game_model.objects.exclude(white_session="", black_session="")
    for game in list(seated.only("pk", "white_session", "black_session")):
        game_model.objects.filter(pk=game.pk).update(
            white_visitor=ids.visitor_id(game.white_session)
            if game.white_session
            else "",
            black_visitor=ids.visitor_id(game.black_session)
            if game.black_session
            else "",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chess", "0005_presence_shared_lobby_cached"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="game",
            name="white_visitor",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="game",
            name="black_visitor",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(seats_to_visitor_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="game", name="white_session"),
        migrations.RemoveField(model_name="game", name="black_session"),
    ]

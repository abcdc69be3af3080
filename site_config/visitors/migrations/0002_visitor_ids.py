"""Guest names held by visitor id instead of session key; accounts' visitor ids.

A guest whose session still exists keeps their name under the visitor id now
written into that session's data; the names of vanished sessions are freed.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from site_config.visitors.session_migration import SessionVisitorIds


def guests_to_visitor_ids(apps: Any, schema_editor: Any) -> None:
    guest_model = apps.get_model("visitors", "Guest")
    ids = SessionVisitorIds()
    for guest in guest_model.objects.all():
        if ids.is_live(guest.session_key):
            guest.visitor_id = ids.visitor_id(guest.session_key)
            guest.save(update_fields=["visitor_id"])
        else:
            guest.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0001_initial"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="guest",
            name="visitor_id",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(guests_to_visitor_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="guest", name="session_key"),
        migrations.AlterField(
            model_name="guest",
            name="visitor_id",
            field=models.CharField(max_length=32, unique=True),
        ),
        migrations.CreateModel(
            name="AccountVisitor",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("visitor_id", models.CharField(max_length=32, unique=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]

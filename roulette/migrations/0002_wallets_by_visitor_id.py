"""Web wallets held by visitor id instead of session key.

Each wallet's session key becomes the visitor id written into that session's data
(the same id the chess and visitors migrations find for it); the wallet of a
session that is gone gets an id nobody holds (its history stays for the totals).
"""

from typing import Any

from django.db import migrations, models

from site_config.visitors.session_migration import SessionVisitorIds


def wallets_to_visitor_ids(apps: Any, schema_editor: Any) -> None:
    wallet_model = apps.get_model("roulette", "Wallet")
    ids = SessionVisitorIds()
    web = wallet_model.objects.filter(session_key__isnull=False)
    for pk, session_key in list(web.values_list("pk", "session_key")):
        wallet_model.objects.filter(pk=pk).update(
            visitor_id=ids.visitor_id(session_key)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("roulette", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="wallet",
            name="visitor_id",
            field=models.CharField(
                blank=True,
                help_text="Set for a web visitor's table; empty for API betting "
                "sessions.",
                max_length=32,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(wallets_to_visitor_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="wallet", name="session_key"),
    ]

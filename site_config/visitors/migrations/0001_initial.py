"""`Guest` moved here from the `site_config` app: the table stays as it is."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("site_config", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Guest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("session_key", models.CharField(max_length=40, unique=True)),
                        ("name", models.CharField(max_length=24)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "last_seen",
                            models.DateTimeField(auto_now=True, db_index=True),
                        ),
                    ],
                    options={
                        "ordering": ["name"],
                        "db_table": "site_config_guest",
                        "constraints": [
                            models.UniqueConstraint(
                                django.db.models.functions.text.Lower("name"),
                                name="guest_name_unique_ci",
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]

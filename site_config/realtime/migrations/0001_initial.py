from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="Presence",
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
                ("group", models.CharField(max_length=100)),
                ("connection", models.CharField(max_length=64, unique=True)),
                ("member", models.CharField(max_length=200)),
                ("connected_at", models.DateTimeField(auto_now_add=True)),
                ("last_seen", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name_plural": "presence",
                "indexes": [
                    models.Index(
                        fields=["group", "last_seen"], name="presence_group_seen"
                    )
                ],
            },
        ),
    ]

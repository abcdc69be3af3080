"""`Guest` now belongs to `site_config.visitors` (same table): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("site_config", "0001_initial"),
        ("visitors", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Guest")],
            database_operations=[],
        )
    ]

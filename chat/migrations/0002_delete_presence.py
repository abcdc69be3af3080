# Presence moved to the shared table of site_config.realtime; its rows were
# ephemeral (one per open socket), so nothing is copied.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.DeleteModel(name="Presence")]

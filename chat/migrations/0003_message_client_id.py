from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_delete_presence")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="client_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client_id__isnull", False)),
                fields=("room", "client_id", "author"),
                name="chat_msg_client_id_unique",
            ),
        ),
    ]

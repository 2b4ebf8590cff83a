import uuid

from django.db import migrations, models


def first_generation(apps, schema_editor):
    apps.get_model("intelligence_ai", "AIConfigVersion").objects.create(
        singleton=True, generation=uuid.uuid4().hex
    )


class Migration(migrations.Migration):
    dependencies = [
        ("intelligence_ai", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AIConfigVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("singleton", models.BooleanField(default=True, editable=False, unique=True)),
                ("generation", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "AI config version"},
        ),
        migrations.RunPython(first_generation, migrations.RunPython.noop),
    ]

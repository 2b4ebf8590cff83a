"""Every workspace starts with the "Sales" pipeline. As a migration it lands in the template
schema, so each cloned workspace has it, and in workspaces created before this existed."""

from django.db import migrations

from crm.deals.defaults import DEFAULT_PIPELINE_NAME, DEFAULT_STAGES


def create_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    if Pipeline.objects.filter(is_default=True).exists():
        return
    pipeline = Pipeline.objects.create(name=DEFAULT_PIPELINE_NAME, is_default=True, position=0)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, probability=probability, is_won=won, is_lost=lost,
              position=index)
        for index, (name, probability, won, lost) in enumerate(DEFAULT_STAGES)
    )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]

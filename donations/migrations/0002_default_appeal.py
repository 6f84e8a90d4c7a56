from django.db import migrations


def create_default_appeal(apps, schema_editor):
    Appeal = apps.get_model("donations", "Appeal")
    if not Appeal.objects.exists():
        Appeal.objects.create(
            message=(
                "We are 100% reader-supported. Support independent journalism "
                "by making a donation."
            ),
            button_label="Donate",
        )


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [migrations.RunPython(create_default_appeal, migrations.RunPython.noop)]

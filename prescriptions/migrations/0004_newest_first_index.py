# Issue 8 (bench/RESULTS.md): the default ordering, newest first, served by an index, so that
# the first page of the admin's list does not sort 300,000 prescriptions.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('prescriptions', '0003_renderedpdf'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='prescription',
            index=models.Index(fields=['-prescribed_on', '-created_at'], name='prescription_newest_idx'),
        ),
    ]

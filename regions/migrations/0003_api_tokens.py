"""API tokens hashed at rest (django-rest-knox), with an expiry, bound to the account's password and role.

DRF's authtoken table kept every key in plain text and is dropped with its app: clients ask for a
new token (POST /api/v1/auth/token/), and an administrator issues new ones for external systems."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0002_reference_data'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('digest', models.CharField(max_length=128, primary_key=True, serialize=False)),
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('fingerprint', models.CharField(editable=False, max_length=64, verbose_name='отпечаток учётной записи')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API-токен',
                'verbose_name_plural': 'API-токены',
                'ordering': ['-created'],
            },
        ),
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]

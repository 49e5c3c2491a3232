"""The Celery app; configured from Django settings under the ``CELERY_`` prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sferum_migration.settings.base")

app = Celery("sferum_migration")
app.config_from_object("django.conf:settings", namespace="CELERY")
# No broker configured: tasks run inline (always eager); a dummy URL keeps Celery off AMQP.
if not app.conf.broker_url:
    app.conf.broker_url = "memory://"
app.autodiscover_tasks()

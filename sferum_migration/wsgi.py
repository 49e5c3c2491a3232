"""WSGI entry point (gunicorn)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sferum_migration.settings.base")

application = get_wsgi_application()

# Every view and what it imports (the charts, DRF, the admin) loaded now rather than on
# the first request, then set aside from the garbage collector: it would otherwise walk these few
# hundred thousand objects that live as long as the process on every full collection, about one
# request in fifteen under load (~90 ms each on the overview; ~9 ms a request on average, ~3 ms
# frozen). Each gunicorn worker imports this module, so each freezes its own.
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view
gc.freeze()

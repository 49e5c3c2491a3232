"""Settings for the test suite: the same environment switches, faster hashing, temp media."""

import tempfile

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="sferum-test-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"user": "100000/minute", "anon": "100000/minute"}
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Tests clear the cache around each API test: never the product's (CACHE_URL may come from .env).
CACHES = {"default": env.cache_url("TEST_CACHE_URL", default="locmemcache://")}

# Tests run jobs inline unless a test asks for the real worker (the `live_worker` fixture).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="sferum-test")

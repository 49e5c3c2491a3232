# Sferum → MAX migration dashboard: one image for web (gunicorn), Celery worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sferum_migration.settings.production

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Production settings refuse to start without a secret, hosts and a mail server; collectstatic
# needs none, so dummies are passed for this one step and never kept in the image's env.
ARG DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret
ARG DJANGO_ALLOWED_HOSTS=localhost
ARG EMAIL_URL=smtp://localhost:25
RUN python manage.py collectstatic --noinput

# Code stays owned by root (read-only to the app); only the media folder is writable.
# The folder exists in the image so a fresh named volume mounted there inherits its owner.
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /data/media \
    && chown app:app /data/media
ENV DJANGO_MEDIA_ROOT=/data/media
USER app

EXPOSE 8000
CMD ["gunicorn", "sferum_migration.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "120"]

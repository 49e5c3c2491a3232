"""Project-level promises: settings come from the environment, production refuses to start
without its secrets, `check --deploy` is clean, migrate loads the reference data, and the layers
import one way."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.models import KpiDefinition, StageTarget
from regions.models import FederalDistrict, Region, Roadmap

ROOT = Path(__file__).resolve().parent.parent


def settings_value(expression: str, **env) -> str:
    """Evaluate an expression over django.conf.settings in a fresh process with this environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    clean["DJANGO_SETTINGS_MODULE"] = "sferum_migration.settings.base"
    clean.update(env)
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_embedded_defaults_are_sqlite_and_inline_jobs():
    assert settings_value("settings.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER") == "True"


def test_environment_switches_database_and_broker():
    env = {"DATABASE_URL": "postgres://u:p@db.example:5432/sferum", "CELERY_BROKER_URL": "redis://redis.example:6379/0"}
    assert settings_value("settings.DATABASES['default']['ENGINE']", **env) == "django.db.backends.postgresql"
    assert settings_value("settings.DATABASES['default']['HOST']", **env) == "db.example"
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", **env) == "False"
    assert settings_value("settings.CELERY_BROKER_URL", **env) == "redis://redis.example:6379/0"


def test_the_wsgi_application_loads_every_view_and_sets_it_aside_from_the_collector():
    """gunicorn's workers import sferum_migration.wsgi: the views are loaded then (not on a first
    request) and frozen out of the garbage collector's full collections (issue #19)."""
    code = (
        "import gc, sys; import sferum_migration.wsgi; "
        "print(gc.get_freeze_count(), 'dashboard.views.overview' in sys.modules, 'rest_framework.views' in sys.modules)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    frozen, views, api = result.stdout.split()
    assert int(frozen) > 50_000 and views == api == "True"


def test_mail_comes_from_email_url_and_prints_to_the_console_by_default():
    assert settings_value("settings.MAILERS") == (
        "{'default': {'BACKEND': 'django.core.mail.backends.console.EmailBackend', 'OPTIONS': {}}}"
    )
    smtp = settings_value("settings.MAILERS['default']", EMAIL_URL="smtp+tls://digest:p%40ss@smtp.example.ru:587")
    assert smtp == (
        "{'BACKEND': 'django.core.mail.backends.smtp.EmailBackend', 'OPTIONS': {'host': 'smtp.example.ru', "
        "'port': 587, 'username': 'digest', 'password': 'p@ss', 'use_tls': True, 'use_ssl': False, 'timeout': 30}}"
    )


def test_language_and_time_zone():
    assert settings_value("settings.LANGUAGE_CODE, [c for c, _ in settings.LANGUAGES], settings.TIME_ZONE") == (
        "ru ['ru', 'en'] Europe/Moscow"
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="sferum_migration.settings.production",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="dashboard.example.ru",
        EMAIL_URL="smtp://relay.example.ru:25",
    )
    del env[missing]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sferum_migration.settings.production",
        "DJANGO_SECRET_KEY": "k3y-" + "z9Q" * 20,
        "DJANGO_ALLOWED_HOSTS": "dashboard.example.ru",
        "EMAIL_URL": "smtp+tls://digest:secret@smtp.example.ru:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_migrate_loads_89_regions_in_8_districts():
    assert Region.objects.count() == 89
    assert Region.objects.values("code").distinct().count() == 89
    assert FederalDistrict.objects.count() == 8
    assert {r.code: r.name for r in Region.objects.filter(code__in=["62", "63", "77"])} == {
        "62": "Рязанская область",
        "63": "Самарская область",
        "77": "Москва",
    }
    assert all(Region.objects.filter(federal_district=d).exists() for d in FederalDistrict.objects.all())


@pytest.mark.django_db
def test_migrate_loads_the_federal_roadmap_and_kpi_targets():
    targets = dict(KpiDefinition.objects.values_list("code", "target"))
    assert {k: float(v) for k, v in targets.items()} == {
        "staff_weekly_active": 0.75,
        "learners_weekly_active": 0.30,
        "officials_active": 1.0,
        "max_only_share": 1.0,
    }
    federal = Roadmap.objects.get(is_federal=True)
    stages = list(federal.stages.order_by("order"))
    assert [s.deadline.isoformat() for s in stages] == ["2025-08-31", "2025-09-15", "2025-10-31", "2025-11-01"]
    assert [s.pilot_only for s in stages] == [False, True, False, False]
    assert StageTarget.objects.filter(stage=stages[3]).count() == 4


def _imported(nodes) -> set[str]:
    return {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}


def test_services_import_tasks_at_module_level_and_tasks_import_services_in_their_bodies():
    """Tasks are APIs (HackSoft): a service queues a task it imported with its module; a task
    imports its service when it runs. So metrics.services and metrics.tasks never form a cycle."""
    tasks = ast.parse((ROOT / "metrics" / "tasks.py").read_text(encoding="utf-8"))
    assert not any("services" in module for module in _imported(tasks.body))
    for path in sorted((ROOT / "metrics" / "services").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [
            node for function in ast.walk(tree) if isinstance(function, ast.FunctionDef) for node in ast.walk(function)
        ]
        assert not any("tasks" in module for module in _imported(functions)), path.name

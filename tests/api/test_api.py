"""What every call shares (sferum_migration/api.py): JSON errors, also for unknown addresses and
server errors under /api/, and the page size."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import path

from metrics.models import Upload
from metrics.services import UploadRefused
from sferum_migration import api
from sferum_migration.exceptions import ApplicationError, PermissionRefused
from sferum_migration.urls import urlpatterns as project_urlpatterns
from tests.storages import disk_full, files_under

pytestmark = pytest.mark.django_db


def explode(request):
    raise RuntimeError("boom")


urlpatterns = [*project_urlpatterns, path("api/v1/explode/", explode), path("explode/", explode)]
handler404 = api.handler404
handler500 = api.handler500


def test_unknown_api_address_is_404_json_even_anonymous():
    response = Client().get("/api/v1/no-such-call/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_unknown_page_address_keeps_the_html_404(ministry_user):
    client = Client()
    client.force_login(ministry_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def logged_with_id(caplog, error_id):
    [record] = [r for r in caplog.records if r.name == "sferum_migration.api" and error_id in r.getMessage()]
    assert record.exc_info and str(record.exc_info[1]) == "boom"


def test_a_server_error_under_api_is_500_json_with_an_error_id_the_log_has(settings, ministry_user, caplog):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(ministry_user)
    response = client.get("/api/v1/explode/")
    assert response.status_code == 500
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{8}", body["error_id"])
    assert body["detail"] == (
        f"Внутренняя ошибка сервера. Код ошибки: {body['error_id']}. Сообщите его администратору."
    )
    logged_with_id(caplog, body["error_id"])


def test_a_server_error_of_a_page_is_an_html_500_with_an_error_id_the_log_has(settings, ministry_user, caplog):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(ministry_user)
    response = client.get("/explode/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    [error_id] = re.findall(r"Код ошибки: ([0-9a-f]{8})\. Сообщите его администратору\.", page)
    assert "boom" not in page and "RuntimeError" not in page
    logged_with_id(caplog, error_id)


def test_a_body_over_the_size_limit_is_413_json(token_client, ministry_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = token_client(ministry_user)
    response = client.post("/api/v1/uploads/", {"region": "62", "week": "2025-10-27", "mode": "x" * 200})
    assert response.status_code == 413
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (UploadRefused("Неизвестный режим."), 400, {"detail": "Неизвестный режим."}),
        (ApplicationError("Не так.", code="invalid_week"), 400, {"detail": "Не так."}),
        (UploadRefused("Только свой регион.", code="permission_denied"), 403, {"detail": "Только свой регион."}),
        (PermissionRefused("Только свой регион."), 403, {"detail": "Только свой регион."}),
    ],
)
def test_an_application_error_is_mapped_once_403_for_permission_else_400(
    token_client, ministry_user, monkeypatch, error, status, body
):
    def refuse(**kwargs):
        raise error

    monkeypatch.setattr("metrics.api.views.upload_create", refuse)
    data = {"file": SimpleUploadedFile("week.csv", b"org_id\n"), "region": "62"}
    response = token_client(ministry_user).post("/api/v1/uploads/", data, format="multipart")
    assert response.status_code == status
    assert response.json() == body
    assert not Upload.objects.exists()


def test_a_full_disk_at_upload_is_503_with_a_russian_detail_and_leaves_no_file(
    token_client, coordinator62, settings, tmp_path
):
    disk_full(settings, tmp_path)
    data = {"file": SimpleUploadedFile("week.csv", b"org_id;x\n" * 1000), "region": "62"}
    response = token_client(coordinator62).post("/api/v1/uploads/", data, format="multipart")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Файл не сохранён: на сервере не удалось записать файл")
    assert not Upload.objects.exists()
    assert files_under(tmp_path) == []


def test_malformed_json_is_400_json():
    response = Client().post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_schema_errors_are_json_not_yaml():
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_page_size_is_chosen_by_the_client_up_to_a_limit(token_client, ministry_user):
    client = token_client(ministry_user)
    assert len(client.get("/api/v1/regions/", {"page_size": 5}).json()["results"]) == 5
    assert len(client.get("/api/v1/regions/", {"page_size": 100000}).json()["results"]) == 89
    assert api.ApiPagination.max_page_size == 1000
    last = client.get("/api/v1/regions/", {"page": "last", "page_size": 50}).json()
    assert last["next"] is None and last["previous"] and len(last["results"]) == 39

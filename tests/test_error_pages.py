"""The error pages (sferum_migration/error_pages.py): 400, 403, CSRF, 404 and 500 inside the site's
layout with the reason and a way back, as served with DEBUG off; the 500 page without a database."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation

from sferum_migration import api
from sferum_migration.urls import urlpatterns as project_urlpatterns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def explode(request):
    raise RuntimeError("boom")


urlpatterns = [*project_urlpatterns, path("explode/", explode)]
handler400 = api.handler400
handler403 = api.handler403
handler404 = api.handler404
handler500 = api.handler500


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def client(ministry_user):
    client = Client(raise_request_exception=False)
    client.force_login(ministry_user)
    return client


def in_the_layout(response) -> str:
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert 'class="topbar"' in text and 'class="footer"' in text
    assert 'href="/"' in text and "На обзор по России" in text  # a way back to the overview
    return text


def test_an_account_without_a_role_gets_the_403_page_with_the_reason():
    user = UserFactory()
    user.scope.delete()
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user.pk))
    response = client.get("/")
    assert response.status_code == 403
    text = in_the_layout(response)
    assert "Доступ запрещён" in text
    assert "У учётной записи нет роли: обратитесь к администратору." in text
    assert "Войти под другой учётной записью" in text  # a way out for this account: sign out
    assert "403 Forbidden" not in text


def test_another_regions_organisations_are_refused_with_why_and_a_way_back(coordinator63):
    client = Client()
    client.force_login(coordinator63)
    response = client.get("/uploads/", {"region": "62"}, HTTP_REFERER="http://testserver/regions/63/")
    assert response.status_code == 403
    text = in_the_layout(response)
    assert "Загрузки этого региона вам недоступны." in text
    assert 'href="http://testserver/regions/63/"' in text and "Назад" in text


def test_a_back_link_never_leads_to_another_site(coordinator63):
    client = Client()
    client.force_login(coordinator63)
    response = client.get("/uploads/", {"region": "62"}, HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_an_unknown_address_is_the_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = in_the_layout(response)
    assert "Страница не найдена" in text and "/no-such-page/" in text


def test_an_unknown_region_is_the_404_page_without_djangos_english(client):
    response = client.get("/regions/00/")
    assert response.status_code == 404
    text = in_the_layout(response)
    assert "Страница не найдена" in text and "matches the given query" not in text


def test_a_week_outside_the_accepted_range_is_the_400_page_with_the_reason(client):
    response = client.get("/", {"week": "1900-01-01"})
    assert response.status_code == 400
    text = in_the_layout(response)
    assert "Некорректный запрос" in text and "недел" in text.lower()


def test_a_stale_form_is_the_csrf_page_in_words_a_user_can_act_on(ministry_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ministry_user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    text = in_the_layout(response)
    assert "Форма устарела" in text and "обновите страницу" in text
    assert "CSRF" not in text


def test_a_server_error_is_the_500_page(settings, client):
    settings.ROOT_URLCONF = __name__
    response = client.get("/explode/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Внутренняя ошибка сервера" in text and "/static/css/app.css" in text
    assert 'href="/"' in text and "boom" not in text


def test_the_500_page_renders_without_a_database(django_db_blocker):
    request = RequestFactory().get("/regions/62/")
    with django_db_blocker.block():
        response = api.handler500(request)
    assert response.status_code == 500
    assert "Внутренняя ошибка сервера" in response.content.decode()


def test_in_english_the_pages_are_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "There is no such page" in text and "To the overview of Russia" in text
    settings.ROOT_URLCONF = __name__
    response = client.get("/explode/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Internal server error" in text and '<html lang="en">' in text and "Error code:" in text


def test_a_refusal_under_the_api_stays_json():
    response = api.handler403(RequestFactory().get("/api/v1/regions/"), PermissionDenied("Только своему региону."))
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "Только своему региону."}
    with translation.override("ru"):  # no middleware here: the language is set by hand
        assert json.loads(api.handler403(RequestFactory().get("/api/v1/regions/")).content)["detail"] == (
            "Доступ запрещён."
        )


def test_the_500_page_gives_the_error_id_the_log_has(settings, client, caplog):
    settings.ROOT_URLCONF = __name__
    text = client.get("/explode/").content.decode()
    [error_id] = re.findall(r'id="error-id">[^<]*Код ошибки: ([0-9a-f]{8})\.', text)
    assert any(error_id in record.getMessage() for record in caplog.records)

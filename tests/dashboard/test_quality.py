"""Data-quality warnings on the pages: the upload's result grouped by kind, the explain form (ministry
only, CSRF), the download, the region's «Качество данных» card and the overview's ⚠ mark."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from metrics.choices import WarningCode
from metrics.models import UploadWarning
from metrics.services import kpi_values_rebuild
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, region
from tests.metrics.test_services_quality import SENT
from tests.metrics.test_services_uploads import row, send

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


def upload_with_warnings(coordinator62, on_commit):
    """Region 62's file of WEEK: three of its five schools' staff totals jumped tenfold."""
    for i in range(5):
        SnapshotFactory(organisation=OrganisationFactory(org_id=f"62-{i}"), week=WEEK - timedelta(weeks=1), **SENT)
    kpi_values_rebuild()
    rows = [row(f"62-{i}", staff=(1000, 80) if i < 3 else (101, 81)) for i in range(5)]
    return send(coordinator62, rows, on_commit=on_commit)


@pytest.fixture
def warned(coordinator62, django_capture_on_commit_callbacks):
    return upload_with_warnings(coordinator62, django_capture_on_commit_callbacks)


def test_the_upload_page_groups_warnings_by_kind_in_russian(client, coordinator62, warned):
    client.force_login(coordinator62)
    html = client.get(warned.get_absolute_url()).content.decode()
    shown = text_of(html)
    assert "Предупреждения о качестве данных" in shown
    assert "Скачок численности 3" in shown
    assert "изменилась за неделю больше чем на 20 % и больше чем на 20 человек" in shown
    assert "Резкое изменение показателя региона" in shown
    assert "Работники всего" in shown and "1 000" in shown and "62-0" in shown
    for code in WarningCode.values:
        assert code not in shown  # labels, never raw codes
    assert 'class="explain-form"' not in html  # a coordinator reads, the ministry explains


def test_a_ministry_user_explains_a_warning_on_the_upload_page(client, ministry_user, warned):
    warning = UploadWarning.objects.filter(upload=warned, code=WarningCode.BASE_JUMP).first()
    client.force_login(ministry_user)
    page = client.get(warned.get_absolute_url()).content.decode()
    assert f'action="/uploads/{warned.pk}/warnings/{warning.pk}/explain/"' in page
    assert "Скачок численности — <strong>3</strong>" in client.get("/regions/62/").content.decode()
    response = client.post(
        f"/uploads/{warned.pk}/warnings/{warning.pk}/explain/", {"comment": "Присоединены два филиала"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#warning-{warning.pk}")
    warning.refresh_from_db()
    assert (warning.explained_by, warning.explanation) == (ministry_user, "Присоединены два филиала")
    shown = text_of(client.get(warned.get_absolute_url()).content.decode())
    assert "объяснено: 1" in shown and "Присоединены два филиала" in shown
    assert "Скачок численности — <strong>2</strong>" in client.get("/regions/62/").content.decode()


def test_an_empty_explanation_changes_nothing(client, ministry_user, warned):
    warning = UploadWarning.objects.filter(upload=warned).first()
    client.force_login(ministry_user)
    response = client.post(f"/uploads/{warned.pk}/warnings/{warning.pk}/explain/", {"comment": "   "}, follow=True)
    assert "Напишите объяснение" in response.content.decode()
    warning.refresh_from_db()
    assert warning.explained_at is None


def test_explaining_needs_the_ministry_and_a_csrf_token(ministry_user, coordinator62, warned):
    warning = UploadWarning.objects.filter(upload=warned).first()
    url = f"/uploads/{warned.pk}/warnings/{warning.pk}/explain/"
    coordinator = Client()
    coordinator.force_login(coordinator62)
    assert coordinator.post(url, {"comment": "Всё верно"}).status_code == 403
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(ministry_user)
    assert forged.post(url, {"comment": "Всё верно"}).status_code == 403
    assert not UploadWarning.objects.filter(explained_at__isnull=False).exists()
    ministry = Client()
    ministry.force_login(ministry_user)
    assert (
        ministry.post(f"/uploads/{warned.pk}/warnings/{warning.pk + 999}/explain/", {"comment": "x"}).status_code == 404
    )


def test_the_warnings_download_lists_them_with_russian_labels(client, coordinator62, warned):
    client.force_login(coordinator62)
    lines = client.get(f"/uploads/{warned.pk}/warnings.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Вид;Регион;Неделя;Строка;ID организации")
    jumps = [line for line in lines[1:] if line.startswith("Скачок численности;62;27.10.2025;")]
    assert len(jumps) == 3 and ";Работники всего;100;1 000;" in jumps[0].replace("\u00a0", " ")
    assert client.get(f"/uploads/{warned.pk}/warnings.xlsx").status_code == 200


def test_the_region_page_shows_its_week_s_quality(client, ministry_user, warned):
    client.force_login(ministry_user)
    html = client.get("/regions/62/").content.decode()
    card = html[html.index('id="quality"') :]
    card = card[: card.index("</section>")]
    assert "Качество данных" in card and "Необъяснённых предупреждений в загрузках недели: 4" in card
    assert f"/uploads/?region=62&amp;week={WEEK:%Y-%m-%d}&amp;status=succeeded" in card
    samara = client.get("/regions/63/").content.decode()
    assert "Необъяснённых предупреждений о качестве данных за эту неделю нет" in samara


def test_the_overview_marks_regions_whose_week_carries_warnings(client, ministry_user, warned):
    client.force_login(ministry_user)
    html = client.get("/?all=1").content.decode()
    marks = re.findall(r'<span class="badge at_risk quality-mark" title="([^"]+)"[^>]*>⚠ (\d+)</span>', html)
    assert marks == [
        ("Предупреждения о качестве данных: Скачок численности — 3; Резкое изменение показателя региона — 1", "4")
    ]


def test_the_upload_page_reads_a_fixed_number_of_queries(client, ministry_user, coordinator62, warned):
    client.force_login(ministry_user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(warned.get_absolute_url()).status_code == 200
        return len(queries)

    few = count()
    UploadWarning.objects.bulk_create(
        [
            UploadWarning(upload=warned, code=code, region=region("62"), week=WEEK, org_id=f"X{i}", message="m")
            for code in WarningCode.values
            for i in range(40)
        ]
    )
    warned.warning_counts = dict.fromkeys(WarningCode.values, 40)
    warned.save(update_fields=["warning_counts"])
    assert count() == few

"""English as a second language: a complete catalogue, its compiled file, and pages with no Russian.

Source strings are Russian, so an untranslated msgid shows Russian on an English page. The
catalogue test fails on any empty or fuzzy entry; the page test renders every page with «EN»
chosen through the site's own switch and finds no Cyrillic outside the data (names of regions,
districts, municipalities, organisations and people, and what uploaders wrote).
"""

import gettext
import html
import json
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from metrics.counts import COUNT_FIELDS
from metrics.models import Upload
from metrics.services import kpi_values_rebuild, upload_process
from regions.choices import UserRole
from regions.models import FederalDistrict, Municipality, Organisation, Region
from sferum_migration.catalogue import mo_bytes, po_entries
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory, UserFactory, region

COLUMNS = ["org_id", *COUNT_FIELDS]
LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")
# Russian words of the interface an English page must never show.
RUSSIAN_WORDS = [
    "Неделя",
    "неделя",
    "Просрочено",
    "Под угрозой",
    "Выполнено",
    "Отчётность",
    "Загрузки",
    "организаций",
    "Показатель",
    "Скачать",
    "Регионы",
    "Муниципалитет",
    "Организация",
    "Недостаточно данных",
    "Не отчитался",
    "в срок",
    "Файл",
    "Выйти",
    "Войти",
    "цель",
]
# The switch names each language in itself («Русский» on the button back to Russian).
ALLOWED = {"Русский"}


# --- (1) the catalogue ---------------------------------------------------------------------------


def test_the_english_catalogue_translates_every_message_and_nothing_is_fuzzy():
    entries = po_entries(PO.read_text(encoding="utf-8"))
    messages = [e for e in entries if e.msgid and not e.obsolete]
    assert len(messages) > 800
    assert not [e.msgid for e in messages if not e.translated], "empty msgstr"
    assert not [e.msgid for e in entries if e.fuzzy], "fuzzy entries are left out of the .mo"
    plurals = [e for e in messages if e.msgid_plural]
    assert plurals and all(sorted(e.msgstr) == [0, 1] for e in plurals), "English has two plural forms"


def test_translations_keep_every_placeholder_and_contain_no_russian_words():
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in po_entries(PO.read_text(encoding="utf-8")):
        if not entry.msgid or entry.obsolete:
            continue
        source = set(placeholder.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in entry.msgstr.values():
            assert set(placeholder.findall(text)) <= source, entry.msgid
            assert source <= set(placeholder.findall(text)) or entry.msgid_plural, entry.msgid
            # Russian left in a translation is a quoted file header («Код региона») or an abbreviation.
            leftover = set(CYRILLIC.findall(text)) - ALLOWED
            quoted = set(CYRILLIC.findall(" ".join(re.findall(r"«[^»]*»|\([^)]*\)", text + entry.msgid))))
            assert leftover <= quoted | {"ЦФО"}, (entry.msgid, text)


def test_the_committed_mo_file_is_compiled_from_the_po_file():
    compiled = mo_bytes(po_entries(PO.read_text(encoding="utf-8")))
    committed = MO.read_bytes()
    assert committed == compiled, "run `make messages` (or python -m sferum_migration.catalogue) and commit the .mo"
    with open(MO, "rb") as file:
        catalogue = gettext.GNUTranslations(file)
    assert catalogue.gettext("Просрочено") == "Overdue"
    assert catalogue.ngettext("%(n)s ошибка", "Ошибок: %(n)s", 3) == "%(n)s errors"


def test_the_catalogue_holds_every_string_makemessages_finds(tmp_path, settings):
    """A string wrapped since the catalogue was written shows up here, untranslated."""
    if not shutil.which("xgettext"):
        pytest.skip("makemessages needs GNU gettext's xgettext (apt-get install gettext; .ci/run installs it)")
    copy = tmp_path / "project"
    for name in ("dashboard", "digests", "metrics", "regions", "sferum_migration", "templates", "demo"):
        _copy_tree(Path(settings.BASE_DIR) / name, copy / name)
    (copy / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").write_bytes(PO.read_bytes())
    here = os.getcwd()
    os.chdir(copy)
    try:
        call_command("makemessages", locale=["en"], no_location=True, verbosity=0)
    finally:
        os.chdir(here)
    fresh = po_entries((copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    untranslated = [e.msgid for e in fresh if e.msgid and not e.obsolete and (not e.translated or e.fuzzy)]
    assert not untranslated


def _copy_tree(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".html", ".txt") and "__pycache__" not in path.parts:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())


# --- (2) every page in English ---------------------------------------------------------------------


@pytest.fixture
def english(db):
    """A ministry user and a coordinator of region 62 who chose «EN», two weeks of data, an upload."""
    places = [MunicipalityFactory(region=region(code)) for code in ("62", "63")]
    for i, place in enumerate(places * 3):
        organisation = OrganisationFactory(region=place.region, municipality=place)
        for back in range(3):
            SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=back), staff_active=40 + 10 * i)
    kpi_values_rebuild()
    ministry = UserFactory(username="ministry-en", role=UserRole.MINISTRY, email="m@example.org")
    coordinator = UserFactory(username="coord-en", role=UserRole.COORDINATOR, role__region=region("62"))
    clients = {}
    for user in (ministry, coordinator):
        client = Client()
        client.force_login(user)
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert response.status_code == 302
        clients[user.username] = client
    organisation = Organisation.objects.filter(region__code="62").first()
    rows = (
        f"{';'.join(COLUMNS)}\r\n"
        f"{organisation.org_id};{';'.join(['100', '90'] * 5)}\r\n"
        f"{organisation.org_id}-X;{';'.join(['100', 'abc'] * 5)}\r\n"
    )
    response = clients["coord-en"].post(
        "/uploads/",
        {
            "file": _file("week.csv", rows.encode("utf-8-sig")),
            "region": region("62").pk,
            "week": WEEK.isoformat(),
            "mode": "skip_invalid",
        },
    )
    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    upload = Upload.objects.latest("pk")
    upload_process(upload_id=upload.pk)
    return clients, upload


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def english_pages(upload):
    municipality = Municipality.objects.filter(region__code="62").first()
    organisation = Organisation.objects.filter(region__code="62").first()
    return {
        "overview": ("ministry-en", "/"),
        "district": ("ministry-en", "/?district=ЦФО"),
        "region": ("ministry-en", "/regions/62/"),
        "region missing": ("ministry-en", "/regions/62/missing/"),
        "region uploads": ("ministry-en", "/regions/62/uploads/"),
        "municipality": ("ministry-en", municipality.get_absolute_url()),
        "organisation": ("ministry-en", organisation.get_absolute_url()),
        "reporting register": ("ministry-en", "/reporting/"),
        "uploads and the upload form": ("coord-en", "/uploads/"),
        "upload detail": ("coord-en", upload.get_absolute_url()),
        "digest profile": ("ministry-en", "/profile/digests/"),
        "API docs": ("ministry-en", "/api/v1/docs/"),
        "coordinator's region": ("coord-en", "/regions/62/"),
    }


def data_names(upload) -> list[str]:
    """What people entered: registry names, people, the uploaded file's name and its stored messages."""
    names = [*Region.objects.values_list("name", flat=True), *Municipality.objects.values_list("name", flat=True)]
    names += [*Organisation.objects.values_list("name", flat=True)]
    for code, name in FederalDistrict.objects.values_list("code", "name"):
        names += [code, name]
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.all():
        names += [user.get_full_name(), user.first_name, user.last_name]
    # The tile map's short region names («Адыг», «КЧР») are region names too.
    tiles = json.loads((Path(settings.BASE_DIR) / "dashboard" / "data" / "region_tiles.json").read_text())
    names += [tile["label"] for tile in tiles["tiles"]]
    # Row errors and the outcome sentence are stored when the file is processed, in Russian.
    names += [upload.original_name, upload.message, *(e.get("message", "") for e in upload.errors)]
    return sorted({n for n in names if n}, key=len, reverse=True)


def visible_text(page: str) -> str:
    r"""The page with its JSON's \uXXXX escapes decoded, its entities unescaped, and what it quotes
    in «» removed: an English sentence quotes Russian only for a name (a file's column header such as
    «Неделя», an organisation, a stage)."""
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    return re.sub(r"«[^»<]*»", "«»", html.unescape(page))


@pytest.mark.parametrize(
    "name",
    [
        "overview",
        "district",
        "region",
        "region missing",
        "region uploads",
        "municipality",
        "organisation",
        "reporting register",
        "uploads and the upload form",
        "upload detail",
        "digest profile",
        "API docs",
        "coordinator's region",
    ],
)
def test_every_page_in_english_shows_no_russian_outside_the_data(english, name):
    clients, upload = english
    username, url = english_pages(upload)[name]
    response = clients[username].get(url)
    assert response.status_code == 200
    page = visible_text(response.content.decode())
    if name != "API docs":  # drf-spectacular's page has no lang attribute
        assert '<html lang="en">' in page
    names = data_names(upload)
    # Long names are cut with «…» on chart labels.
    page = re.sub(
        r'"(?:\d\d )?([^"]+)…"', lambda m: '""' if any(n.startswith(m.group(1)) for n in names) else m.group(0), page
    )
    for word in names:
        page = page.replace(word, "")
    found = {
        w: page[max(0, m.start() - 80) : m.end() + 80]
        for w in RUSSIAN_WORDS
        if (m := re.search(rf"(?<![А-Яа-яЁё]){w}(?![А-Яа-яЁё])", page))
    }
    assert not found, found
    leftovers = {m.group(0): page[max(0, m.start() - 60) : m.end() + 60] for m in CYRILLIC.finditer(page)}
    assert not {w: c for w, c in leftovers.items() if w not in ALLOWED}


def test_the_login_page_and_its_error_are_in_english_for_an_english_browser(db):
    UserFactory(username="someone", role=UserRole.MINISTRY)
    client = Client(headers={"accept-language": "en"})
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page and not CYRILLIC.search(page.replace("Русский", ""))
    response = client.post("/accounts/login/", {"username": "someone", "password": "wrong"})
    page = html.unescape(response.content.decode())
    assert "Please enter a correct username and password" in page
    assert not CYRILLIC.search(page.replace("Русский", ""))


def test_the_same_pages_stay_russian_without_the_switch(english):
    _clients, upload = english
    client = Client()
    client.force_login(Upload.objects.get(pk=upload.pk).uploaded_by)
    page = client.get("/regions/62/").content.decode()
    assert '<html lang="ru">' in page
    assert "Этапы дорожной карты" in page
    assert "Roadmap stages" not in page


def test_kpi_names_and_federal_stages_follow_the_language_unless_an_administrator_renamed_them(db):
    from django.utils import translation

    from metrics.models import KpiDefinition
    from metrics.selectors import kpi_definitions, roadmap_stage_plans, seeded_name

    with translation.override("en"):
        assert [d.short_name for d in kpi_definitions()][:2] == ["Staff activity", "Student and parent activity"]
        federal, _ = roadmap_stage_plans(regions=[])
        # Plans feed the stored schedule states: titles are translated only where they are shown.
        assert federal[-1].title == "Полное завершение перевода"
        assert seeded_name(federal[-1].title) == "Migration fully completed"
    with translation.override("ru"):
        assert kpi_definitions()[0].short_name == "Активность работников"
    KpiDefinition.objects.filter(order=1).update(short_name="Работники в MAX")
    with translation.override("en"):
        assert kpi_definitions()[0].short_name == "Работники в MAX"
    assert KpiDefinition.objects.get(order=2).short_name == "Активность обучающихся и родителей", "nothing saved"


def test_organisation_kinds_are_abbreviated_in_russian_and_named_in_english():
    from django.utils import translation

    from dashboard.templatetags.dashboard_tags import kind_abbr

    with translation.override("ru"):
        assert kind_abbr("school") == "ОО"
    with translation.override("en"):
        assert kind_abbr("school") == "School"
        assert kind_abbr("authority_municipal") == "Municipal authority"


def test_numbers_are_written_the_english_way_on_an_english_page():
    from django.utils import translation

    from dashboard.charts.base import _layout
    from dashboard.templatetags.dashboard_tags import number, percent, points

    with translation.override("en"):
        assert percent(0.8256) == "82.5\u00a0%"
        assert number(1234567) == "1,234,567"
        assert points(-0.00001) == "0.0\u00a0pp"
        assert _layout()["separators"] == ".,"
    with translation.override("ru"):
        assert percent(0.8256) == "82,5\u00a0%"
        assert number(1234567) == "1\u00a0234\u00a0567"
        assert _layout()["separators"] == ", "


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_api_schema_behind_the_docs_page_is_english_for_an_english_client(db, fmt):
    user = UserFactory(username="schema-en", role=UserRole.MINISTRY)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    response = client.get("/api/v1/schema/", {"format": fmt})
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "Sferum → MAX: migration monitoring API" in text
    assert "Get a token" in text and "Send a weekly activity file" in text
    # Only a district code given as an example is left (ЦФО is how the parameter is written).
    assert set(CYRILLIC.findall(text)) <= {"ЦФО"}
    russian = Client()
    russian.force_login(user)
    assert "Получить токен" in visible_text(russian.get("/api/v1/schema/", {"format": fmt}).content.decode())


def test_digests_stay_russian_when_english_is_active(db):
    from django.utils import translation

    from digests.services import digests_plan
    from tests.digests.conftest import AFTER_DEADLINE, coordinator, seed_week
    from tests.digests.conftest import WEEK as DIGEST_WEEK

    seed_week()
    coordinator("62")
    with translation.override("en"):
        planned = [p for p in digests_plan(week=DIGEST_WEEK, now=AFTER_DEADLINE) if p.action == "send"]
    assert planned
    for digest in planned:
        assert "Активность работников" in digest.body_text, digest.body_text[:500]
        assert "Staff activity" not in digest.body_text + digest.body_html
        assert "неделя" in digest.subject.lower() or "Сферум" in digest.subject


def test_schedule_states_computed_while_english_is_active_keep_russian_stage_titles(db):
    from django.utils import translation

    from metrics.models import ScheduleState

    organisation = OrganisationFactory(region=region("62"), municipality=MunicipalityFactory(region=region("62")))
    SnapshotFactory(organisation=organisation, week=WEEK, staff_active=50)
    with translation.override("en"):
        kpi_values_rebuild()
    titles = [s["title"] for state in ScheduleState.objects.exclude(stages=[]) for s in state.stages]
    assert titles and all(CYRILLIC.search(t) for t in titles), titles

"""The Russian catalogue of plural forms (locale/ru): three forms where a msgid carries two, and the
compiled .mo committed beside its .po."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext

LOCALE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 организация реестра без данных за неделю"),
        (2, "2 организации реестра без данных за неделю"),
        (5, "5 организаций реестра без данных за неделю"),
        (11, "11 организаций реестра без данных за неделю"),
        (21, "21 организация реестра без данных за неделю"),
        (22, "22 организации реестра без данных за неделю"),
        (112, "112 организаций реестра без данных за неделю"),
    ],
)
def test_a_count_of_organisations_takes_its_russian_form(count, expected):
    with translation.override("ru"):
        text = ngettext(
            "%(n)s организация реестра без данных за неделю", "%(n)s организаций реестра без данных за неделю", count
        )
    assert text % {"n": count} == expected


@pytest.mark.parametrize(
    ("total", "noun"), [(1, "организации"), (31, "организации"), (2, "организаций"), (5, "организаций")]
)
def test_out_of_n_organisations_is_genitive(total, noun):
    template = Template(
        "{% load i18n %}{% blocktranslate count m=total with n=n total=total %}{{ n }} из {{ total }} организации"
        "{% plural %}{{ n }} из {{ total }} организаций{% endblocktranslate %}"
    )
    with translation.override("ru"):
        assert template.render(Context({"n": total, "total": total})) == f"{total} из {total} {noun}"


def test_the_compiled_catalogue_matches_its_source():
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    source = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "nplurals=3;" in catalogue.info()["plural-forms"]
    entries = re.findall(r'^msgid "(.+)"\nmsgid_plural "(.+)"\n((?:msgstr\[\d\] ".*"\n)+)', source, re.M)
    assert len(entries) >= 8
    for singular, plural, forms in entries:
        expected = re.findall(r'msgstr\[\d\] "(.*)"', forms)
        assert len(expected) == 3 and all(expected)
        assert [catalogue.ngettext(singular, plural, n) for n in (1, 2, 5)] == expected

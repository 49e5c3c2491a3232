"""The file's columns: names and Russian aliases, the template header, the header row's mapping."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..counts import COUNT_FIELDS
from .errors import MSG_EMPTY, FileRejected

# Column -> the Russian header of the template, then further accepted aliases. The English name is
# always accepted too. Order is the template's order (DESIGN.md §5, counts in COUNT_FIELDS order).
_COLUMN_NAMES = {
    "org_id": ("ID организации", "Идентификатор организации"),
    "org_name": ("Наименование организации", "Название организации"),
    "org_kind": ("Тип организации",),
    "municipality": ("Муниципалитет", "Муниципальное образование"),
    "week": ("Неделя",),
    "staff_total": ("Работники всего",),
    "staff_active": ("Работники активные",),
    "students_total": ("Обучающиеся всего",),
    "students_active": ("Обучающиеся активные",),
    "parents_total": ("Родители всего",),
    "parents_active": ("Родители активные",),
    "officials_total": ("Должностные лица всего",),
    "officials_active": ("Должностные лица активные",),
    "sferum_total": ("Пользователи Сферума всего",),
    "sferum_max_only": ("Пользователи только в MAX",),
    # Only national files carry it (DESIGN.md §6), so it is not part of the template.
    "region": ("Код региона", "Регион", "Код субъекта", "region_code"),
}
_TEMPLATE_COLUMNS = tuple(name for name in _COLUMN_NAMES if name != "region")
_OPTIONAL_COUNTS = ("officials_total", "officials_active")
_REQUIRED = ("org_id", *(name for name in COUNT_FIELDS if name not in _OPTIONAL_COUNTS))
assert set(COUNT_FIELDS) <= set(_COLUMN_NAMES), "every count field needs a column in the file"
MAX_COLUMNS = 200


def template_headers() -> list[str]:
    """The Russian header row of the template, in canonical order."""
    return [_COLUMN_NAMES[name][0] for name in _TEMPLATE_COLUMNS]


def _first_filled(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first row with any text (the header) and its line; rows above it are skipped."""
    for line, cells in records:
        if any(cell.strip() for cell in cells):
            return line, cells
    raise FileRejected(_(MSG_EMPTY))


def _too_many_columns() -> str:
    return _("В первой строке больше %(limit)s столбцов: это не строка заголовков таблицы активности") % {
        "limit": MAX_COLUMNS
    }


@dataclass(frozen=True, slots=True)
class _Columns:
    index: dict[str, int]  # column -> position in the row
    names: list[str]  # every header cell as written, for error reports

    @property
    def need(self) -> int:
        return max(self.index.values()) + 1


def _normalise_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").replace("_", " ").split()).lower().replace("ё", "е")


_ALIASES = {_normalise_header(alias): column for column, names in _COLUMN_NAMES.items() for alias in (column, *names)}


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _quoted_names(columns: Iterable[str]) -> str:
    return ", ".join(f"«{_COLUMN_NAMES[column][0]}»" for column in columns)


def _map_header(cells: Sequence[str]) -> _Columns:
    """Find the known columns in the header row; refuse unknown, duplicate or incomplete headers."""
    if len(cells) > MAX_COLUMNS and any(cell.strip() for cell in cells[MAX_COLUMNS:]):
        raise FileRejected(_too_many_columns())
    index: dict[str, int] = {}
    names = []
    for position, cell in enumerate(cells):
        names.append(cell.replace("\ufeff", "").strip())
        column = _ALIASES.get(_normalise_header(cell))
        if column is None:
            continue
        if column in index:
            raise FileRejected(
                _("Столбец «%(name)s» встречается в файле дважды: столбцы %(first)s и %(second)s")
                % {
                    "name": _COLUMN_NAMES[column][0],
                    "first": _column_letter(index[column]),
                    "second": _column_letter(position),
                }
            )
        index[column] = position
    if not index:
        raise FileRejected(
            _("Первая строка файла должна содержать заголовки столбцов, например %(names)s: скачайте шаблон файла")
            % {"names": _quoted_names(("org_id", "staff_total", "staff_active"))}
        )
    missing = [column for column in _REQUIRED if column not in index]
    officials = [column for column in _OPTIONAL_COUNTS if column in index]
    if len(officials) == 1:  # the pair is optional, but one without the other makes no KPI
        missing += [column for column in _OPTIONAL_COUNTS if column not in index]
    if len(missing) == 1:
        raise FileRejected(_("В файле нет обязательного столбца %(names)s") % {"names": _quoted_names(missing)})
    if missing:
        raise FileRejected(_("В файле нет обязательных столбцов: %(names)s") % {"names": _quoted_names(missing)})
    return _Columns(index=index, names=names)


def column_label(name: str) -> str:
    """The Russian header of a column (as in the template), for errors found after parsing."""
    names = _COLUMN_NAMES.get(name)
    return names[0] if names else name

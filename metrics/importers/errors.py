"""The one file-level error and the user-facing messages shared by the readers."""

from django.utils.translation import gettext_noop

# User-facing messages used in several places: marked here, translated where they are raised
# (never at import time, when no language is active yet).
MSG_EMPTY = gettext_noop("Файл пуст")
MSG_NO_ROWS = gettext_noop("В файле нет строк с данными")
MSG_NOT_TABLE = gettext_noop("Файл не является таблицей CSV или XLSX")
MSG_XLS = gettext_noop(
    "Файл сохранён в старом формате XLS или защищён паролем: сохраните его без пароля в формате XLSX "
    "или «CSV (разделители — точка с запятой)»"
)
MSG_UTF16 = gettext_noop("Файл сохранён в кодировке UTF-16: сохраните его в формате XLSX или «CSV UTF-8»")
MSG_ODS = gettext_noop("Файл сохранён в формате OpenDocument: сохраните его в формате XLSX или CSV")
MSG_BAD_XLSX = gettext_noop("Файл повреждён или не является книгой Excel (XLSX)")
MSG_ENCRYPTED = gettext_noop("Книга Excel защищена паролем: сохраните её без пароля")
MSG_MIXED_ENCODING = gettext_noop(
    "В файле смешаны кодировки UTF-8 и Windows-1251: сохраните его заново целиком в одной кодировке"
)
MSG_NO_SHEET = gettext_noop("В книге Excel нет листов с таблицей")
MSG_BLANK_COUNT = gettext_noop("Пустое значение")
MSG_NO_ORG_ID = gettext_noop("Не указан ID организации")


class FileRejected(Exception):
    """The file is not a usable table; .message is one clear Russian sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _grouped(number: int) -> str:
    """A number with Russian thousands separators: 100 000."""
    return f"{number:,}".replace(",", "\u00a0")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}".replace(".", ",")


# The reasons of row errors: the rule broken, without the cell's value, so that a million errors
# are counted in one line per column and rule (error_log.RowErrorLog).
REASON_BLANK_COUNT = MSG_BLANK_COUNT
REASON_NOT_A_COUNT = gettext_noop("Не целое неотрицательное число")
REASON_COUNT_TOO_LARGE = gettext_noop("Число больше допустимого")
REASON_ACTIVE_OVER_TOTAL = gettext_noop("Активных больше, чем всего")
REASON_NO_ORG_ID = MSG_NO_ORG_ID
REASON_ORG_ID_TOO_LONG = gettext_noop("Слишком длинный ID организации")
REASON_NAME_TOO_LONG = gettext_noop("Слишком длинное наименование")
REASON_MUNICIPALITY_TOO_LONG = gettext_noop("Слишком длинное название муниципалитета")
REASON_UNKNOWN_KIND = gettext_noop("Неизвестный тип организации")
REASON_BAD_DATE = gettext_noop("Дата не распознана")
REASON_DATE_OUT_OF_RANGE = gettext_noop("Дата вне допустимого диапазона")
REASON_BAD_REGION_CODE = gettext_noop("Неверный код региона")
REASON_DUPLICATE = gettext_noop("Организация повторяется за ту же неделю")

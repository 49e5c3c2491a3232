"""One upload's row errors as a report: the kept errors whole, then how many were not kept, by
column and reason. Rows are produced one at a time for a streamed download."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from ..models import Upload


def upload_error_headers() -> list[str]:
    return [
        _("Строка"),
        _("Столбец"),
        _("Значение"),
        _("Ошибка"),
        _("ID организации"),
        _("Наименование организации"),
        _("Число ошибок"),
    ]


def upload_error_rows(*, upload: Upload) -> Iterator[tuple]:
    """The rows of the error report: each kept error (line, column, value as sent, message, the
    organisation's id and name when the row names one); then, when errors were counted but not kept
    whole, a row naming how many, and one per column and reason with its number not kept."""
    for error in upload.errors:
        yield (
            error.get("line"),
            error.get("column", ""),
            error.get("value", ""),
            error.get("message", ""),
            error.get("org_id", ""),
            error.get("org_name", ""),
            None,
        )
    not_kept = max(0, upload.errors_total - len(upload.errors))
    if not not_kept:
        return
    yield (
        None,
        None,
        None,
        _("Не сохранены по отдельности ещё %(n)s ошибок (сохранены первые %(kept)s); по столбцам и причинам:")
        % {"n": not_kept, "kept": len(upload.errors)},
        None,
        None,
        not_kept,
    )
    for entry in upload.errors_summary:
        if entry.get("not_kept"):
            yield (None, entry.get("column", ""), None, entry.get("reason", ""), None, None, entry["not_kept"])

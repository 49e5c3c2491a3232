"""The row-error log (metrics/importers/error_log.py): every error counted by column and reason, the
first ``keep`` kept in line order, two logs merged as one file's."""

from metrics.importers import RowError, RowErrorLog


def error(line, column="Работники всего", reason="Пустое значение", value=""):
    return RowError(line, column, value, f"{reason}: «{value}»", reason, f"ORG-{line}", "")


def test_the_first_errors_are_kept_and_every_one_counted():
    log = RowErrorLog(keep=3)
    for line in range(2, 7):
        log.add(error(line, value=str(line)))
        log.add(error(line, column="Родители всего", reason="Не целое неотрицательное число"))
    assert [(e.line, e.column) for e in log.kept] == [
        (2, "Работники всего"),
        (2, "Родители всего"),
        (3, "Работники всего"),
    ]
    assert (log.total, log.rows, log.not_kept) == (10, 5, 7)
    assert log.counts == {
        ("Работники всего", "Пустое значение"): 5,
        ("Родители всего", "Не целое неотрицательное число"): 5,
    }


def test_the_summary_counts_by_column_and_reason_and_what_was_not_kept():
    log = RowErrorLog.of([error(2), error(3), error(4, column="Неделя", reason="Дата не распознана")], keep=2)
    assert log.summary() == [
        {"column": "Работники всего", "reason": "Пустое значение", "count": 2, "not_kept": 0},
        {"column": "Неделя", "reason": "Дата не распознана", "count": 1, "not_kept": 1},
    ]


def test_two_logs_merge_by_line_and_keep_the_first():
    parser = RowErrorLog.of([error(2), error(5), error(9)], keep=10)
    registry = RowErrorLog.of([error(3, column="ID организации", reason="Неизвестная организация"), error(7)])
    registry.keep = 10
    merged = parser.merged(registry)
    assert [e.line for e in merged.kept] == [2, 3, 5, 7, 9]
    assert (merged.total, merged.rows) == (5, 5)
    assert [e.line for e in parser.merged(registry, keep=2).kept] == [2, 3]


def test_without_a_bound_every_error_is_kept():
    log = RowErrorLog.of(error(line) for line in range(2, 20_002))
    assert len(log.kept) == log.total == 20_000
    assert log.summary() == [{"column": "Работники всего", "reason": "Пустое значение", "count": 20_000, "not_kept": 0}]


def test_an_error_is_stored_with_its_reason_and_organisation():
    assert error(4, value="x").as_dict() == {
        "line": 4,
        "column": "Работники всего",
        "value": "x",
        "message": "Пустое значение: «x»",
        "reason": "Пустое значение",
        "org_id": "ORG-4",
        "org_name": "",
    }

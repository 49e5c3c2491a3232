"""Row errors, and the log that counts every one of them but keeps only the first few whole.

A file of nonsense carries an error in every cell: 100,000 rows of «n/a» are a million errors, and
keeping each (then storing, loading and exporting them) took gigabytes (issue #18). The log keeps
the first ``keep`` in line order, with every error counted by column and reason; the reason is a
short sentence without the cell's value, so the counts have one entry per column and rule.
"""

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one cell (or of a whole row when ``column`` is empty). ``reason``: the rule
    broken, without the value (what the counts group by); ``org_id``, ``org_name``: the row's
    organisation as the file names it, empty when the row names none."""

    line: int
    column: str
    value: str
    message: str
    reason: str = ""
    org_id: str = ""
    org_name: str = ""

    def as_dict(self) -> dict:
        """The stored form (``Upload.errors``)."""
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "reason": self.reason,
            "org_id": self.org_id,
            "org_name": self.org_name,
        }


class RowErrorLog:
    """Every row error of a file counted by (column, reason), and how many rows have one; the first
    ``keep`` errors in line order kept whole (all of them when ``keep`` is None). Errors are added
    in line order, a row's together."""

    __slots__ = ("_last_line", "counts", "keep", "kept", "rows", "total")

    def __init__(self, keep: int | None = None):
        self.keep = keep
        self.kept: list[RowError] = []
        self.total = 0
        self.rows = 0
        self.counts: dict[tuple[str, str], int] = {}
        self._last_line = None

    def add(self, error: RowError) -> None:
        self.total += 1
        if error.line != self._last_line:
            self._last_line = error.line
            self.rows += 1
        key = (error.column, error.reason or error.message)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        if self.keep is None or len(self.kept) < self.keep:
            self.kept.append(error)

    @classmethod
    def of(cls, errors: Iterable[RowError], keep: int | None = None) -> "RowErrorLog":
        log = cls(keep)
        for error in errors:
            log.add(error)
        return log

    def merged(self, other: "RowErrorLog", *, keep: int | None = None) -> "RowErrorLog":
        """Both logs as one (of rows that are not both's): the first ``keep`` (by default this log's)
        of their kept errors by line, their counts summed."""
        log = RowErrorLog(self.keep if keep is None else keep)
        kept = heapq.merge(self.kept, other.kept, key=attrgetter("line"))
        log.kept = list(kept if log.keep is None else itertools.islice(kept, log.keep))
        log.total = self.total + other.total
        log.rows = self.rows + other.rows
        log.counts = dict(self.counts)
        for key, count in other.counts.items():
            log.counts[key] = log.counts.get(key, 0) + count
        return log

    @property
    def not_kept(self) -> int:
        return self.total - len(self.kept)

    def summary(self) -> list[dict]:
        """Per column and reason: how many errors, and how many of them are not kept whole; the most
        frequent first. The stored form (``Upload.errors_summary``)."""
        kept: dict[tuple[str, str], int] = {}
        for error in self.kept:
            key = (error.column, error.reason or error.message)
            kept[key] = kept.get(key, 0) + 1
        ordered = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return [
            {"column": column, "reason": reason, "count": count, "not_kept": count - kept.get((column, reason), 0)}
            for (column, reason), count in ordered
        ]

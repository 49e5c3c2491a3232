"""Ranks and medians of regions by a KPI, as pure functions (no ORM): 1 is the best, ties share
a rank, a region without data is not ranked."""

from collections.abc import Mapping
from statistics import median


def competition_ranks[Key](values: Mapping[Key, float | None]) -> dict[Key, int]:
    """Rank by value, highest first, ties sharing the better rank ("1224" ranking). Keys whose
    value is None (no data) are left out: they have no rank."""
    ordered = sorted((value for value in values.values() if value is not None), reverse=True)
    first = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {key: first[value] for key, value in values.items() if value is not None}


def median_value(values) -> float | None:
    """The median of the values with data; None when there is none."""
    present = [value for value in values if value is not None]
    return median(present) if present else None


def rank_change(previous: int | None, current: int | None) -> int | None:
    """Places gained since the previous week (positive: moved up); None unless ranked both weeks."""
    if previous is None or current is None:
        return None
    return previous - current

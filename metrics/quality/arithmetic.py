"""The numbers the checks compare: each KPI's (numerator, denominator) of a row of counts, sums,
medians and the modified z-score."""

from collections.abc import Iterable, Sequence

from ..counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from ..kpi import KPI_CODES, KPI_FORMULAS, kpi_numbers

COUNT_INDEX = {name: index for index, name in enumerate(COUNT_FIELDS)}
# (active name, its index, its total's index) and (total name, its index)
_ACTIVES = tuple((active, COUNT_INDEX[active], COUNT_INDEX[total]) for active, total in ACTIVE_TOTAL_PAIRS)
_TOTALS = tuple((total, COUNT_INDEX[total]) for _active, total in ACTIVE_TOTAL_PAIRS)
# The modified z-score (Iglewicz and Hoaglin): 0.6745 · |x − median| / MAD.
MAD_SCALE = 0.6745
# KPI changes are compared with their thresholds beyond this: 0.55 − 0.40 is 0.15000000000000002.
EPSILON = 1e-9
_I = COUNT_INDEX
_SA, _ST, _UA, _UT, _PA, _PT, _OA, _OT, _MA, _MT = (
    _I["staff_active"],
    _I["staff_total"],
    _I["students_active"],
    _I["students_total"],
    _I["parents_active"],
    _I["parents_total"],
    _I["officials_active"],
    _I["officials_total"],
    _I["sferum_max_only"],
    _I["sferum_total"],
)


def kpi_pairs(c: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(numerator, denominator) of each KPI of one row of counts, in KPI_CODES order. Unrolled:
    it runs for every row of a file and of its history; checked against KPI_FORMULAS below."""
    return (c[_SA], c[_ST]), (c[_UA] + c[_PA], c[_UT] + c[_PT]), (c[_OA], c[_OT]), (c[_MA], c[_MT])


_PROBE = tuple(2**n for n in range(len(COUNT_FIELDS)))
assert kpi_pairs(_PROBE) == tuple(
    kpi_numbers(dict(zip(COUNT_FIELDS, _PROBE, strict=True)), code) for code in KPI_CODES
), "kpi_pairs must follow KPI_FORMULAS"
assert tuple(KPI_FORMULAS) == KPI_CODES
_POSITIONS = range(len(KPI_CODES))
Counts = tuple[int, ...]


def _kpi_sums(rows: Iterable[Counts]) -> tuple[tuple[int, int], ...]:
    """(numerator, denominator) of each KPI over several rows, in KPI_CODES order."""
    columns = [sum(column) for column in zip(*rows, strict=True)]
    return kpi_pairs(columns) if columns else tuple((0, 0) for _code in KPI_CODES)


def _beyond(change: float, limit: float) -> bool:
    """|change| > limit, for fractions computed in floating point."""
    return abs(change) > limit + EPSILON


def _far(deviation: float, spread: float, z: float) -> bool:
    """The modified z-score 0.6745 · |deviation| / spread is above ``z``; any deviation when the
    spread is 0 (its size is judged by the caller)."""
    return not spread or MAD_SCALE * abs(deviation) / spread > z


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

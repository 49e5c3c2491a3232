"""Data-quality checks of an upload (DESIGN.md §5.1) as pure functions over plain data.

A file can pass every rule and still be wrong: last week's file sent again, a total that jumps,
activity that falls to zero, a value far from the organisation's own history, copy-pasted rows, a
region that swings. Each finding is a ``QualityWarning``; warnings never block an import by
themselves (an administrator may make a code blocking: metrics.services.quality).

No ORM here: the upload pipeline reads the organisations' history (metrics.services.quality) and
hands it over as ``QualityHistory``; settings are read only by ``QualityThresholds.from_settings()``.

The file-level checks (same_as_previous, identical_rows, region_swing) look at one *section*: the
file's rows of one region and one week. A regional weekly file is one section; a national file is
one per region, so each region's part is judged as if sent alone and its warnings count for it.

A national file is 90,000 rows: the row loops are written for that (KPI numbers unrolled, each
warning's sentence formatted only when read).

The package by concern: ``thresholds``, ``findings`` (rows, history, sections, warnings, tallies),
``checks`` (each check by code, the whole file), ``arithmetic`` (KPI numbers, medians, z-scores),
``messages`` (the Russian sentences).
"""

from .arithmetic import COUNT_INDEX, Counts, kpi_pairs
from .checks import (
    Candidates,
    base_jump,
    drop_to_zero,
    identical_rows,
    outlier_candidates,
    outliers,
    quality_check,
    region_swing,
    same_as_previous,
    section_warnings,
)
from .findings import QualityFindings, QualityHistory, QualityRow, QualityWarning, Section, file_sections
from .messages import warning_explanation
from .thresholds import QualityThresholds

__all__ = [
    "COUNT_INDEX",
    "Candidates",
    "Counts",
    "QualityFindings",
    "QualityHistory",
    "QualityRow",
    "QualityThresholds",
    "QualityWarning",
    "Section",
    "base_jump",
    "drop_to_zero",
    "file_sections",
    "identical_rows",
    "kpi_pairs",
    "outlier_candidates",
    "outliers",
    "quality_check",
    "region_swing",
    "same_as_previous",
    "section_warnings",
    "warning_explanation",
]

"""The thresholds of the data-quality checks, each a setting ``QUALITY_<NAME>``."""

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """The thresholds of the checks; each is the setting ``QUALITY_<NAME>`` (README «Качество данных»)."""

    # same_as_previous: this share of a section's rows equal their organisation's previous week.
    same_as_previous_share: float = 0.9
    # base_jump: a total changed by more than this share AND more than this many people.
    base_jump_share: float = 0.2
    base_jump_people: int = 20
    # drop_to_zero: an active count of at least this many people and this share of its total
    # last week is 0 now.
    drop_to_zero_min_previous: int = 5
    drop_to_zero_min_share: float = 0.05
    # outlier: modified z-score above outlier_z, the organisation's history over outlier_weeks
    # (at least outlier_min_weeks of them), the deviation more than outlier_min_change (the whole
    # rule when the spread is 0); KPIs of fewer people than outlier_min_base, and kinds with fewer
    # than outlier_min_peers organisations in the region-week, are not judged.
    outlier_z: float = 3.5
    outlier_weeks: int = 8
    outlier_min_weeks: int = 4
    outlier_min_change: float = 0.10
    outlier_min_base: int = 20
    outlier_min_peers: int = 3
    # identical_rows: this many organisations of a section with exactly the same counts.
    identical_rows: int = 10
    # region_swing: the region's KPI moved more than this (a fraction: 0.15 = 15 p.p.) in one week,
    # and by that much more than it moved the week before.
    region_swing: float = 0.15

    @classmethod
    def from_settings(cls) -> "QualityThresholds":
        from django.conf import settings

        return cls(
            **{
                item.name: type(item.default)(getattr(settings, f"QUALITY_{item.name.upper()}", item.default))
                for item in fields(cls)
            }
        )

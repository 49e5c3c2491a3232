"""The plain data of a digest: the week's facts the selector reads (input) and what a digest says
(output). No ORM, no settings, no clock."""

from dataclasses import dataclass, field
from datetime import date, datetime

# ---- input: the week's facts, as the selector reads them -------------------------------------


@dataclass(frozen=True)
class KpiInfo:
    """A KPI definition: code, short name and target (a fraction)."""

    code: str
    short_name: str
    target: float


@dataclass(frozen=True)
class KpiReading:
    """A scope's KPI for the week and the week before (fractions; None: no data)."""

    value: float | None
    previous: float | None = None
    met: bool | None = None
    status: str | None = None  # the KPI's own schedule status


@dataclass(frozen=True)
class StageFacts:
    """A roadmap stage as a scope's schedule state records it."""

    order: int
    title: str
    start: date | None
    deadline: date | None
    status: str
    late_since: date | None = None


@dataclass(frozen=True)
class Verdict:
    """A scope's schedule state for the week: status, since when, what blocks it, coverage."""

    status: str | None
    status_since: date | None = None
    blocking: tuple[dict, ...] = ()  # [{"kpi", "value", "target", "gap"}], fractions
    stages: tuple[StageFacts, ...] = ()
    orgs_reported: int = 0
    orgs_total: int = 0
    previous_status: str | None = None  # the week before's, for "slipped" and "recovered"

    def stage(self, status: str) -> StageFacts | None:
        """The first stage (by deadline) in the given status."""
        matching = [s for s in self.stages if s.status == status]
        return min(matching, key=lambda s: (s.deadline or date.max, s.order)) if matching else None


@dataclass(frozen=True)
class Reporting:
    """Whether and when a region reported the week."""

    status: str
    orgs_reported: int
    orgs_total: int
    first_upload_at: datetime | None = None
    last_upload_at: datetime | None = None
    complete_at: datetime | None = None

    @property
    def orgs_missing(self) -> int:
        return max(self.orgs_total - self.orgs_reported, 0)


@dataclass(frozen=True)
class RegionFacts:
    """One region's week, with the absolute links its digest carries."""

    id: int
    code: str
    name: str
    district_code: str
    kpis: dict[str, KpiReading]
    verdict: Verdict
    reporting: Reporting | None = None
    warnings: dict[str, int] | None = None  # code -> count; None when warnings are not checked
    page_url: str = ""
    missing_url: str = ""


@dataclass(frozen=True)
class DigestData:
    """Everything every digest of one week says, read once for all recipients."""

    week: date
    deadline: datetime
    next_week: date
    next_deadline: datetime
    now: datetime
    timezone: str
    coverage_min: float
    kpis: tuple[KpiInfo, ...]
    country_kpis: dict[str, KpiReading]
    country: Verdict
    regions: dict[int, RegionFacts]
    warnings_checked: bool = False
    overview_url: str = ""
    upload_url: str = ""
    ranks: dict[int, tuple[int, int, float]] = field(default_factory=dict)

    @property
    def provisional(self) -> bool:
        return self.now < self.deadline


# ---- output: what a digest says --------------------------------------------------------------


@dataclass(frozen=True)
class KpiRow:
    """One KPI as the HTML table shows it; ``line`` is the same in text."""

    name: str
    value: str
    target: str
    change: str
    previous: str
    met: bool | None
    status: str
    line: str


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]
    tone: str = ""
    kpi_rows: tuple[KpiRow, ...] = ()


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Digest:
    kind: str
    subject: str
    heading: str
    sections: tuple[Section, ...]
    links: tuple[Link, ...]
    tone: str = ""

    def lines(self) -> list[str]:
        """The plain-text body before the footer, one entry per line."""
        out = [self.heading]
        for section in self.sections:
            out += ["", section.title, *section.lines]
        if self.links:
            out.append("")
            out += [f"{link.label}: {link.url}" for link in self.links]
        return out

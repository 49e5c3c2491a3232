"""What changed since the week before (DESIGN.md §6, §8 question 3): who slipped, who recovered,
who crossed a target, who moved most, who stopped reporting. Read from the precomputed schedule
states, KPI values and reporting rows of the two weeks; a fixed number of queries."""

from collections import defaultdict
from datetime import date

from ..choices import ReportingStatus
from ..kpi import severity_rank
from .definitions import kpi_definitions
from .map import RegionWeeks, region_refs, region_weeks
from .weeks import previous_week

MOVERS = 5
WORSE, BETTER = "worse", "better"
UP, DOWN = "up", "down"


def week_changes(
    *,
    week: date | None,
    movers: int = MOVERS,
    definitions=None,
    regions: dict | None = None,
    weeks: list[date] | None = None,
    data: RegionWeeks | None = None,
) -> dict:
    """The changes of ``week`` against the latest week with data before it. Six queries; four
    when the caller already has the KPI ``definitions`` and the ``regions`` (``region_refs()``);
    none when it also has the ``weeks`` with data (newest first, as ``weeks_with_data()``) and the
    two weeks' ``data`` (``region_weeks()`` of the week and the one before it).

    ``status_changes``: regions whose overall status changed, worse first (then by the new
    status's severity). ``crossings``: a region's KPI that reached its target or fell below it,
    fallen first. ``movers``: per KPI, the ``movers`` largest rises and falls (fractions; regions
    with data both weeks only). ``stopped_reporting``: regions that reported the week before and
    sent nothing this week. No ``week`` (no data yet): every list empty.
    """
    previous = previous_week(week, weeks) if week else None
    definitions = kpi_definitions() if definitions is None else definitions
    empty = {
        "week": week,
        "previous_week": previous,
        "status_changes": [],
        "crossings": [],
        "movers": [{"kpi": d.code, "name": d.short_name, "up": [], "down": []} for d in definitions],
        "stopped_reporting": [],
    }
    if previous is None:
        return empty
    regions = region_refs() if regions is None else regions
    if data is None:
        data = region_weeks((previous, week))
    values = defaultdict(dict)
    for (region_id, code, row_week), row in data.values.items():
        if row_week in (previous, week):
            values[(region_id, code)][row_week] = row
    return empty | {
        "status_changes": _status_changes(regions, data.states, previous, week),
        "crossings": _crossings(regions, definitions, values, previous, week),
        "movers": _movers(regions, definitions, values, previous, week, limit=movers),
        "stopped_reporting": _stopped_reporting(regions, data.reporting, previous, week),
    }


def _status_changes(regions, states, previous, week) -> list[dict]:
    changes = []
    for region_id, region in regions.items():
        before, after = states.get((region_id, previous)), states.get((region_id, week))
        if before is None or after is None or before.status == after.status:
            continue
        worse = severity_rank(after.status) < severity_rank(before.status)
        changes.append(
            {
                "region": region,
                "from_status": before.status,
                "to_status": after.status,
                "since": after.status_since,
                "direction": WORSE if worse else BETTER,
            }
        )
    return sorted(
        changes,
        key=lambda c: (c["direction"] != WORSE, severity_rank(c["to_status"]), c["region"]["code"]),
    )


def _crossings(regions, definitions, values, previous, week) -> list[dict]:
    order = {d.code: i for i, d in enumerate(definitions)}
    crossings = []
    for (region_id, code), by_week in values.items():
        before, after = by_week.get(previous), by_week.get(week)
        if region_id not in regions or before is None or after is None:
            continue
        if before.met is None or after.met is None or before.met == after.met:
            continue
        crossings.append(
            {
                "region": regions[region_id],
                "kpi": code,
                "before": before.value,
                "after": after.value,
                "target": float(after.target),
                "direction": UP if after.met else DOWN,
            }
        )
    return sorted(
        crossings, key=lambda c: (c["direction"] != DOWN, order.get(c["kpi"], len(order)), c["region"]["code"])
    )


def _movers(regions, definitions, values, previous, week, *, limit) -> list[dict]:
    changes = defaultdict(list)
    for (region_id, code), by_week in values.items():
        before, after = by_week.get(previous), by_week.get(week)
        if region_id not in regions or before is None or after is None:
            continue
        if before.value is None or after.value is None:
            continue
        delta = after.value - before.value
        changes[code].append(
            {"region": regions[region_id], "before": before.value, "after": after.value, "delta": delta}
        )
    result = []
    for d in definitions:
        moves = changes.get(d.code, [])
        up = sorted((m for m in moves if m["delta"] > 0), key=lambda m: (-m["delta"], m["region"]["code"]))
        down = sorted((m for m in moves if m["delta"] < 0), key=lambda m: (m["delta"], m["region"]["code"]))
        result.append({"kpi": d.code, "name": d.short_name, "up": up[:limit], "down": down[:limit]})
    return result


def _stopped_reporting(regions, reporting, previous, week) -> list[dict]:
    stopped = []
    for region_id, region in regions.items():
        before, after = reporting.get((region_id, previous)), reporting.get((region_id, week))
        if before is None or after is None:
            continue
        if before.status != ReportingStatus.MISSING and after.status == ReportingStatus.MISSING:
            stopped.append(
                {
                    "region": region,
                    "previous_status": before.status,
                    "orgs_reported_before": before.orgs_reported,
                    "orgs_total": after.orgs_total,
                }
            )
    return sorted(stopped, key=lambda item: item["region"]["code"])

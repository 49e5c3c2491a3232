"""Reads shared by pages, the API and the services (HackSoft selectors), one module per concern;
``from metrics.selectors import X`` keeps working for every name."""

from .changes import week_changes
from .definitions import definition_targets, kpi_definitions, kpi_targets, roadmap_stage_plans, seeded_name
from .kpis import (
    country_summary,
    municipality_ranking,
    region_kpi_history,
    region_ranking,
    regions_weeks_matrix,
    scope_kpi_series,
    scope_kpi_status,
)
from .map import RegionWeeks, region_map, region_refs, region_weeks
from .organisations import (
    organisation_kpi_series,
    organisation_kpi_status,
    organisation_kpis,
    organisation_series,
    organisations_lagging,
    organisations_readiness,
)
from .peers import region_peers
from .quality import upload_warning_groups, upload_warnings, warning_counts
from .reporting import (
    REPORTING_SEVERITY,
    organisations_missing,
    organisations_missing_for_user,
    reporting_rank,
    reporting_register,
    reporting_series,
    reporting_warning_counts,
    user_can_see_missing,
)
from .upload_errors import upload_error_headers, upload_error_rows
from .uploads import UPLOAD_PAYLOADS, template_rows, upload_get_for_user, uploads_for_user
from .weeks import default_week, latest_week_with_data, previous_week, week_info, weeks_with_data

__all__ = [
    "REPORTING_SEVERITY",
    "UPLOAD_PAYLOADS",
    "RegionWeeks",
    "country_summary",
    "default_week",
    "definition_targets",
    "kpi_definitions",
    "kpi_targets",
    "latest_week_with_data",
    "municipality_ranking",
    "organisation_kpi_series",
    "organisation_kpi_status",
    "organisation_kpis",
    "organisation_series",
    "organisations_lagging",
    "organisations_missing",
    "organisations_missing_for_user",
    "organisations_readiness",
    "previous_week",
    "region_kpi_history",
    "region_map",
    "region_peers",
    "region_ranking",
    "region_refs",
    "region_weeks",
    "regions_weeks_matrix",
    "reporting_rank",
    "reporting_register",
    "reporting_series",
    "reporting_warning_counts",
    "roadmap_stage_plans",
    "scope_kpi_series",
    "scope_kpi_status",
    "seeded_name",
    "template_rows",
    "upload_error_headers",
    "upload_error_rows",
    "upload_get_for_user",
    "upload_warning_groups",
    "upload_warnings",
    "uploads_for_user",
    "user_can_see_missing",
    "warning_counts",
    "week_changes",
    "week_info",
    "weeks_with_data",
]

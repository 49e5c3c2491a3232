"""Pages. Each view checks access, calls a selector or service, and renders; dashboard/urls.py
routes to the names below."""

from .exports import (
    municipality_organisations_export,
    organisation_weeks_export,
    region_lagging_export,
    region_municipalities_export,
    regions_export,
    upload_errors_export,
    upload_template,
)
from .overview import home
from .quality import upload_warning_explain, upload_warnings_export
from .reporting import region_missing, region_missing_export, reporting, reporting_export
from .scopes import municipality, organisation, region
from .uploads import region_uploads, upload_detail, upload_import, upload_list

__all__ = [
    "home",
    "municipality",
    "municipality_organisations_export",
    "organisation",
    "organisation_weeks_export",
    "region",
    "region_lagging_export",
    "region_missing",
    "region_missing_export",
    "region_municipalities_export",
    "region_uploads",
    "regions_export",
    "reporting",
    "reporting_export",
    "upload_detail",
    "upload_errors_export",
    "upload_import",
    "upload_list",
    "upload_template",
    "upload_warning_explain",
    "upload_warnings_export",
]

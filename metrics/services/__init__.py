"""Every write of the metrics app, one module per concern (NetBox grows modules into packages the
same way); ``from metrics.services import upload_process`` keeps working."""

from .kpi_values import kpi_current_week_recompute, kpi_values_rebuild, kpi_values_recompute
from .quality import (
    quality_blocking,
    upload_quality_check,
    upload_warning_explain,
    upload_warnings_save,
)
from .registry import organisation_kpis_refresh, organisation_kpis_refresh_enqueue, organisation_registry_lock
from .reporting import Arrival, reporting_arrivals_record, reporting_refresh
from .roadmaps import roadmap_regional_upsert
from .schedule import schedule_states_refresh
from .snapshots import snapshot_partitions_ensure
from .uploads import (
    UploadRefused,
    upload_create,
    upload_enqueue,
    upload_import_checked,
    upload_process,
    uploads_requeue_stuck,
)

__all__ = [
    "Arrival",
    "UploadRefused",
    "kpi_current_week_recompute",
    "kpi_values_rebuild",
    "kpi_values_recompute",
    "organisation_kpis_refresh",
    "organisation_kpis_refresh_enqueue",
    "organisation_registry_lock",
    "quality_blocking",
    "reporting_arrivals_record",
    "reporting_refresh",
    "roadmap_regional_upsert",
    "schedule_states_refresh",
    "snapshot_partitions_ensure",
    "upload_create",
    "upload_enqueue",
    "upload_import_checked",
    "upload_process",
    "upload_quality_check",
    "upload_warning_explain",
    "upload_warnings_save",
    "uploads_requeue_stuck",
]

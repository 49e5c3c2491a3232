"""The magic values of the metrics app, each in one place (choices live in choices.py)."""

from .choices import UploadStatus

# scope_id of the country's rows (KpiValue, ScheduleState): there is one country.
COUNTRY_ID = 0
# kind of the rows summed over every organisation kind; other rows carry one OrganisationKind.
ALL_KINDS = ""
# The blocking entry of a scope that sent nothing in the week looked at.
NO_DATA = "no_data"
# An upload in one of these states is never processed again.
FINAL_UPLOAD_STATUSES = (UploadStatus.SUCCEEDED, UploadStatus.FAILED, UploadStatus.SUPERSEDED)

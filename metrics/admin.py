"""Admin of KPI definitions, stage targets, uploads and their data-quality warnings, the rules that make a
warning blocking, weekly snapshots and precomputed KPI values."""

import datetime

from django.contrib import admin
from django.db.models import Max, Min
from django.utils.translation import gettext_lazy as _

from .counts import COUNT_FIELDS
from .forms import KpiTargetAdminMixin
from .models import (
    KpiDefinition,
    KpiValue,
    ScheduleState,
    StageTarget,
    Upload,
    UploadWarning,
    WarningRule,
    WeeklySnapshot,
)
from .selectors.uploads import UPLOAD_PAYLOADS

# How many row errors the upload page of the admin shows; the full report is on the upload page.
ERRORS_PREVIEW = 50


class WeekListFilter(admin.SimpleListFilter):
    """Weeks (Mondays) from the first to the last with data, newest first.

    Built from MIN/MAX of the indexed ``week`` column: a date hierarchy would run
    ``SELECT DISTINCT`` over millions of snapshot rows on every page.
    """

    title = _("неделя")
    parameter_name = "week"

    def lookups(self, request, model_admin):
        bounds = model_admin.get_queryset(request).aggregate(first=Min("week"), last=Max("week"))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        first -= datetime.timedelta(days=first.weekday())
        weeks = []
        week = last - datetime.timedelta(days=last.weekday())
        while week >= first:
            weeks.append((week.isoformat(), week.strftime("%d.%m.%Y")))
            week -= datetime.timedelta(weeks=1)
        return weeks

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            week = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(week=week)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records written by the import and the KPI jobs: read here, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(KpiTargetAdminMixin, admin.ModelAdmin):
    list_display = ("code", "short_name", "target", "order")
    list_editable = ("target",)
    search_fields = ("code", "name", "short_name")


@admin.register(StageTarget)
class StageTargetAdmin(KpiTargetAdminMixin, admin.ModelAdmin):
    list_display = ("stage", "roadmap", "kpi", "target")
    list_filter = ("kpi", "stage__roadmap")
    list_select_related = ("stage__roadmap", "kpi")
    search_fields = ("stage__title", "stage__roadmap__name")

    @admin.display(description=_("дорожная карта"), ordering="stage__roadmap__name")
    def roadmap(self, obj):
        return obj.stage.roadmap


@admin.register(Upload)
class UploadAdmin(ViewOnlyAdmin):
    list_display = (
        "id",
        "original_name",
        "region",
        "week",
        "status",
        "mode",
        "dry_run",
        "rows_total",
        "rows_imported",
        "rows_rejected",
        "uploaded_by",
        "created_at",
    )
    list_display_links = ("id", "original_name")
    list_filter = ("status", "region", "mode", "dry_run", WeekListFilter)
    list_select_related = ("region", "uploaded_by")
    search_fields = ("original_name", "uploaded_by__username")
    date_hierarchy = "created_at"
    # The stored file is shown by name only: media is never served back, and the row
    # error report can hold tens of thousands of entries, so only its head is shown.
    fields = (
        "original_name",
        "stored_file",
        "size",
        "sha256",
        "uploaded_by",
        "region",
        "week",
        "mode",
        "dry_run",
        "status",
        "progress",
        "rows_total",
        "rows_imported",
        "rows_rejected",
        "message",
        "errors_total",
        "errors_preview",
        "errors_summary",
        "diff",
        "warning_counts",
        "attempts",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = ("stored_file", "errors_preview")

    @admin.display(description=_("файл"))
    def stored_file(self, obj):
        return obj.file.name

    def get_queryset(self, request):
        uploads = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name and match.url_name.endswith("_changelist"):
            uploads = uploads.defer(*UPLOAD_PAYLOADS)  # a list never reads an upload's errors or diff
        return uploads

    @admin.display(description=_("ошибки строк"))
    def errors_preview(self, obj):
        errors = obj.errors or []
        lines = [
            f"{e.get('line', '')}: {e.get('column', '')} = {e.get('value', '')!r} — {e.get('message', '')}"
            for e in errors[:ERRORS_PREVIEW]
        ]
        if obj.errors_total > len(lines):
            lines.append(_("… и ещё %(count)d") % {"count": obj.errors_total - len(lines)})
        return "\n".join(str(line) for line in lines) or "—"


@admin.register(WeeklySnapshot)
class WeeklySnapshotAdmin(ViewOnlyAdmin):
    """Values change only through uploads, so each one keeps its source upload and the KPIs stay in step."""

    list_display = ("organisation", "region", "week", *COUNT_FIELDS, "upload")
    list_filter = ("region", WeekListFilter)
    list_select_related = ("organisation", "region", "upload")
    search_fields = ("organisation__org_id", "organisation__name")
    raw_id_fields = ("organisation", "upload")
    readonly_fields = ("updated_at",)
    # Millions of rows: no unfiltered COUNT(*) next to every filtered page.
    show_full_result_count = False


@admin.register(KpiValue)
class KpiValueAdmin(ViewOnlyAdmin):
    list_display = (
        "week",
        "scope",
        "scope_id",
        "region",
        "kind",
        "kpi",
        "value",
        "target",
        "met",
        "delta",
        "orgs_reported",
        "orgs_total",
        "computed_at",
    )
    list_filter = ("scope", "kpi", WeekListFilter, "met", "kind")
    list_select_related = ("region",)
    show_full_result_count = False


@admin.register(ScheduleState)
class ScheduleStateAdmin(ViewOnlyAdmin):
    list_display = ("week", "scope", "scope_id", "region", "status", "ready", "computed_at")
    list_filter = ("scope", "status", "ready", WeekListFilter)
    list_select_related = ("region",)
    show_full_result_count = False


@admin.register(WarningRule)
class WarningRuleAdmin(admin.ModelAdmin):
    """Which data-quality warnings block an import: switched here, no deploy (changes are audited)."""

    list_display = ("code", "blocking")
    list_editable = ("blocking",)
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False  # one rule per code, created by the migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UploadWarning)
class UploadWarningAdmin(ViewOnlyAdmin):
    """Warnings are found by the import and explained on the upload's page by ministry staff."""

    list_display = ("upload", "code", "region", "week", "org_id", "column", "previous", "new", "explained_at")
    list_filter = ("code", ("explained_at", admin.EmptyFieldListFilter), "region", WeekListFilter)
    list_select_related = ("upload", "region")
    search_fields = ("org_id", "name", "message", "explanation")
    raw_id_fields = ("upload", "organisation", "explained_by")
    show_full_result_count = False

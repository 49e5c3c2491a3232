"""One DRF router for /api/v1/, the calls about one region's KPIs, the schema and its Swagger UI."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from metrics.api.views import (
    KpiChangesView,
    KpiSummaryView,
    RegionKpiHistoryView,
    RegionKpisView,
    ReportingView,
    SnapshotViewSet,
    UploadViewSet,
)
from regions.api.views import OrganisationViewSet, RegionViewSet, TokenLogoutView, TokenObtainView

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("snapshots", SnapshotViewSet, basename="snapshot")
router.register("uploads", UploadViewSet, basename="upload")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="logout"),
    re_path(r"^regions/(?P<code>[0-9]{2})/kpis/$", RegionKpisView.as_view(), name="region-kpis"),
    re_path(r"^regions/(?P<code>[0-9]{2})/kpis/history/$", RegionKpiHistoryView.as_view(), name="region-kpi-history"),
    path("kpis/summary/", KpiSummaryView.as_view(), name="kpi-summary"),
    path("reporting/", ReportingView.as_view(), name="reporting"),
    path("kpis/changes/", KpiChangesView.as_view(), name="kpi-changes"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # A browser page: an anonymous visitor is sent to the login page. The split view serves its
    # start-up script from this same address, so the page runs under the strict CSP (no inline script).
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]

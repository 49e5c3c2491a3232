from django.urls import path, register_converter

from . import views
from .converters import ExportFormatConverter

register_converter(ExportFormatConverter, "fmt")

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("regions.<fmt:fmt>", views.regions_export, name="regions_export"),
    path("regions/<str:code>/", views.region, name="region"),
    path("regions/<str:code>/uploads/", views.region_uploads, name="region_uploads"),
    path("regions/<str:code>/missing/", views.region_missing, name="region_missing"),
    path("regions/<str:code>/missing.<fmt:fmt>", views.region_missing_export, name="region_missing_export"),
    path(
        "regions/<str:code>/municipalities.<fmt:fmt>",
        views.region_municipalities_export,
        name="region_municipalities_export",
    ),
    path("regions/<str:code>/lagging.<fmt:fmt>", views.region_lagging_export, name="region_lagging_export"),
    path("reporting/", views.reporting, name="reporting"),
    path("reporting.<fmt:fmt>", views.reporting_export, name="reporting_export"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
    path(
        "municipalities/<int:pk>/organisations.<fmt:fmt>",
        views.municipality_organisations_export,
        name="municipality_organisations_export",
    ),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("organisations/<int:pk>/weeks.<fmt:fmt>", views.organisation_weeks_export, name="organisation_weeks_export"),
    path("uploads/", views.upload_list, name="upload_list"),
    path("uploads/template.<fmt:fmt>", views.upload_template, name="upload_template"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/import/", views.upload_import, name="upload_import"),
    path("uploads/<int:pk>/errors.<fmt:fmt>", views.upload_errors_export, name="upload_errors_export"),
    path("uploads/<int:pk>/warnings.<fmt:fmt>", views.upload_warnings_export, name="upload_warnings_export"),
    path(
        "uploads/<int:pk>/warnings/<int:warning_pk>/explain/",
        views.upload_warning_explain,
        name="upload_warning_explain",
    ),
]

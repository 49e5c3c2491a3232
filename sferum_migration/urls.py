"""Top-level URLs: pages, admin, auth, language switch and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("digests.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", login_not_required(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("sferum_migration.api_urls")),
]

# JSON under /api/, Django's own pages elsewhere (used when DEBUG is off).
handler404 = "sferum_migration.api.handler404"
handler500 = "sferum_migration.api.handler500"

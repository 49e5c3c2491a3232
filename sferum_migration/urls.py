"""Top-level URLs: pages, admin, auth, language switch and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from .middleware import role_not_required

admin.site.site_header = _("Сферум → MAX: администрирование")
admin.site.site_title = _("Сферум → MAX: администрирование")
admin.site.index_title = _("Реестр, показатели и пользователи")

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("digests.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", role_not_required(login_not_required(auth_views.LoginView.as_view())), name="login"),
    path("accounts/logout/", role_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/setlang/", role_not_required(set_language), name="set_language"),
    path("api/v1/", include("sferum_migration.api_urls")),
]

# JSON under /api/, pages in the layout elsewhere (error_pages.py; 404 and 500 when DEBUG is off).
handler400 = "sferum_migration.api.handler400"
handler403 = "sferum_migration.api.handler403"
handler404 = "sferum_migration.api.handler404"
handler500 = "sferum_migration.api.handler500"

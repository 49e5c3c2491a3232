"""Admin of regions, municipalities, organisations, roadmaps and users' region scope."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from metrics.models import StageTarget
from metrics.services import organisation_kpis_refresh_enqueue, organisation_registry_lock

from .choices import OrganisationKind
from .models import FederalDistrict, Municipality, Organisation, Region, Roadmap, RoadmapStage, UserScope

User = get_user_model()


@admin.register(FederalDistrict)
class FederalDistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order")
    list_editable = ("order",)
    search_fields = ("code", "name")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "federal_district", "pilot")
    list_editable = ("pilot",)
    list_filter = ("federal_district", "pilot")
    list_select_related = ("federal_district",)
    search_fields = ("code", "name")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "oktmo", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("name", "oktmo")
    autocomplete_fields = ("region",)

    def get_readonly_fields(self, request, obj=None):
        # Its organisations (and their weeks) belong to its region: they move one by one.
        if obj is not None and obj.organisations.exists():
            return ("region",)
        return ()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("org_id", "name", "kind", "region", "municipality", "diary_integrated")
    list_filter = ("region", "kind", "diary_integrated")
    list_select_related = ("region", "municipality")
    search_fields = ("org_id", "name")
    autocomplete_fields = ("region", "municipality")
    readonly_fields = ("created_at",)

    def save_model(self, request, obj, form, change):
        moved = change and {"region", "municipality", "kind"} & set(form.changed_data)
        if moved:
            organisation_registry_lock()  # running imports finish first; new ones see the change
        super().save_model(request, obj, form, change)
        if moved:
            # Its past weeks move with it: snapshots follow the region, KPI values are recomputed.
            organisation_kpis_refresh_enqueue(
                organisation_id=obj.id, region_ids=[form.initial["region"], obj.region_id]
            )
            messages.info(request, _("Показатели организации за прошлые недели пересчитываются."))


class RoadmapStageForm(forms.ModelForm):
    """Edit a stage's organisation kinds as checkboxes instead of raw JSON."""

    kinds = forms.MultipleChoiceField(
        label=_("типы организаций"),
        choices=OrganisationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Пусто: все типы."),
    )

    class Meta:
        model = RoadmapStage
        fields = ("roadmap", "order", "title", "kinds", "pilot_only", "start", "deadline")


class RoadmapStageInline(admin.StackedInline):
    model = RoadmapStage
    form = RoadmapStageForm
    extra = 0
    show_change_link = True


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ("name", "is_federal", "region", "signed_on")
    list_filter = ("is_federal",)
    list_select_related = ("region",)
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ("region",)
    inlines = (RoadmapStageInline,)


class StageTargetInline(admin.TabularInline):
    model = StageTarget
    extra = 0


@admin.register(RoadmapStage)
class RoadmapStageAdmin(admin.ModelAdmin):
    form = RoadmapStageForm
    list_display = ("title", "roadmap", "order", "start", "deadline", "pilot_only")
    list_filter = ("roadmap", "pilot_only")
    list_select_related = ("roadmap",)
    search_fields = ("title", "roadmap__name")
    inlines = (StageTargetInline,)


@admin.register(UserScope)
class UserScopeAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region")
    list_filter = ("role", "region")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "user__last_name", "region__code", "region__name")
    autocomplete_fields = ("user", "region")


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    autocomplete_fields = ("region",)


# One place to manage a user and their region scope: Django's user admin plus the scope inline.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (UserScopeInline,)
    list_display = (*DjangoUserAdmin.list_display, "scope_role", "scope_region")
    list_filter = (*DjangoUserAdmin.list_filter, "scope__role")
    list_select_related = ("scope__region",)

    @admin.display(description=_("роль"), ordering="scope__role")
    def scope_role(self, obj):
        scope = getattr(obj, "scope", None)
        return scope.get_role_display() if scope else "—"

    @admin.display(description=_("регион"), ordering="scope__region__code")
    def scope_region(self, obj):
        scope = getattr(obj, "scope", None)
        return scope.region if scope and scope.region else "—"


@admin.register(LogEntry)
class AuditLogAdmin(admin.ModelAdmin):
    """The audit trail of every change made in the admin: targets, roadmaps, users and scopes.

    Uploads (who sent what, which one replaced which) are recorded on the uploads themselves.
    """

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag", "change_message")
    list_filter = ("action_flag", "content_type", "action_time")
    search_fields = ("object_repr", "change_message", "user__username")
    list_select_related = ("user", "content_type")
    date_hierarchy = "action_time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


# API tokens: DRF's own token admin, with the user picked by autocomplete (search by username) and
# the key shown on the token's page. The flow for an external system is in regions/api/views.py.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DRFTokenAdmin):
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("key", "created")

    def get_fields(self, request, obj=None):
        return ("user",) if obj is None else ("user", "key", "created")

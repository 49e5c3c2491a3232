"""Admin of regions, municipalities, organisations, roadmaps and users' region scope."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.forms import KpiTargetAdminMixin
from metrics.models import StageTarget
from metrics.services import organisation_kpis_refresh_enqueue, organisation_registry_lock

from .choices import OrganisationKind
from .models import ApiToken, FederalDistrict, Municipality, Organisation, Region, Roadmap, RoadmapStage, UserScope
from .selectors import api_token_is_current, user_role
from .services import api_token_create, api_tokens_revoke, api_tokens_revoke_stale

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


class StageTargetInline(KpiTargetAdminMixin, admin.TabularInline):
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
    """Roles and regions; a changed or removed role ends the user's API tokens."""

    list_display = ("user", "role", "region")
    list_filter = ("role", "region")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "user__last_name", "region__code", "region__name")
    autocomplete_fields = ("user", "region")

    def save_model(self, request, obj, form, change):
        previous_user_id = form.initial.get("user")
        super().save_model(request, obj, form, change)
        for user_id in {obj.user_id, previous_user_id} - {None}:
            api_tokens_revoke_stale(user=User(pk=user_id))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        api_tokens_revoke_stale(user=obj.user)

    def delete_queryset(self, request, queryset):
        user_ids = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        for user_id in user_ids:
            api_tokens_revoke_stale(user=User(pk=user_id))


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    autocomplete_fields = ("region",)


# One place to manage a user and their region scope: Django's user admin plus the scope inline.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with the scope inline. Saving a user (deactivated, password made unusable,
    role changed) or setting their password ends the API tokens that no longer match the account."""

    inlines = (UserScopeInline,)
    list_display = (*DjangoUserAdmin.list_display, "scope_role", "scope_region")
    list_filter = (*DjangoUserAdmin.list_filter, "scope__role")
    list_select_related = ("scope__region",)
    actions = ("revoke_api_tokens",)

    @admin.action(description=_("Отозвать все API-токены выбранных пользователей"))
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(api_tokens_revoke(user=user) for user in queryset)
        self.message_user(request, _("Отозвано токенов: %(count)d.") % {"count": revoked})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the scope inline is saved here
        api_tokens_revoke_stale(user=form.instance)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST":
            user = User.objects.filter(pk=id).first() if str(id).isdigit() else None
            if user is not None:
                api_tokens_revoke_stale(user=user)
        return response

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


# API tokens (django-rest-knox, regions.models.ApiToken): listed with their state, revoked by
# deleting them. A new token's key is shown once, on the page after saving; only its hash is kept.
class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user",)

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active or user_role(user) is None:
            raise forms.ValidationError(_("Учётная запись отключена или у неё нет роли: сначала назначьте роль."))
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenAddForm
    list_display = ("key_start", "user", "role", "created", "expiry", "state")
    list_filter = ("user__scope__role", "created", "expiry")
    list_select_related = ("user__scope",)
    search_fields = ("user__username", "user__last_name", "token_key")
    autocomplete_fields = ("user",)
    shown = ("key_start", "user", "role", "created", "expiry", "state")

    def get_fields(self, request, obj=None):
        return ("user",) if obj is None else self.shown

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.shown

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    @admin.display(description=_("начало ключа"))
    def key_start(self, obj):
        return f"{obj.token_key[:8]}…"

    @admin.display(description=_("роль"))
    def role(self, obj):
        scope = getattr(obj.user, "scope", None)
        return scope.get_role_display() if scope else "—"

    @admin.display(description=_("состояние"))
    def state(self, obj):
        if obj.expiry is not None and obj.expiry <= timezone.now():
            return _("истёк")
        if not api_token_is_current(obj):
            return _("недействителен: пароль или роль изменились, учётная запись отключена")
        return _("действует")

    def save_model(self, request, obj, form, change):
        token, key = api_token_create(user=obj.user)
        # The admin goes on with the object it built (log entry, the page after saving): make it the token.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state = token._state
        obj.issued_key = key

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API-токен выдан"),
            "token": obj,
            "key": obj.issued_key,
        }
        return TemplateResponse(request, "admin/regions/apitoken/issued.html", context)

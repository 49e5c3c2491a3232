"""The delivery log (filters by status, kind and week; search by user) and the opt-outs."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from metrics.admin import WeekListFilter

from .models import DigestDelivery, DigestSubscription
from .services import deliveries_retry


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """Written by the sending job only; an administrator reads it and may send failed ones again."""

    list_display = ("week", "kind", "user", "email", "region", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "kind", WeekListFilter)
    list_select_related = ("user", "region")
    search_fields = ("user__username", "user__email", "user__last_name", "email")
    actions = ["retry_failed"]
    readonly_fields = [field.name for field in DigestDelivery._meta.fields]
    fields = (
        ("user", "email"),
        ("week", "kind", "region"),
        ("status", "attempts"),
        "last_error",
        ("created_at", "next_attempt_at", "claimed_at", "sent_at"),
        "subject",
        "body_text",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    @admin.display(description=_("ошибка или причина"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Отправить повторно (только не доставленные)"))
    def retry_failed(self, request, queryset):
        count = deliveries_retry(delivery_ids=queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d сводка поставлена в отправку.", "%(count)d сводок поставлено в отправку.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "opted_out", "updated_at")
    list_filter = ("opted_out",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)

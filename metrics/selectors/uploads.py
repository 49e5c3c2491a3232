"""Uploads: the one access path of every page and API view that shows them; the template's rows."""

from django.core.exceptions import PermissionDenied
from django.db.models import (
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from regions.choices import KIND_ABBREVIATIONS
from regions.models import Organisation, Region
from regions.selectors import user_can_upload, user_has_national_scope, user_region

from ..models import Upload

# What an upload carries beyond its row in a list: its kept row errors, their summary and its diff.
# Every list (pages, API) leaves them out; only one upload's page, answer and download read them.
UPLOAD_PAYLOADS = ("errors", "errors_summary", "diff")


def uploads_for_user(*, user, region: Region | None = None, uploads: QuerySet | None = None) -> QuerySet:
    """The uploads a user may see, newest first, without their payloads (NetBox's ``restrict(user)``): every upload for
    national roles, their region's for a coordinator, none for other accounts. ``uploads`` narrows
    a list already built from this selector (the FilterSet's). With ``region``, that region's
    uploads; asking for a region the user may not see is refused (PermissionDenied: a 403 that
    says why, not an empty list)."""
    if uploads is None:
        uploads = (
            Upload.objects.select_related("region", "uploaded_by")
            .defer(*UPLOAD_PAYLOADS)
            .order_by("-created_at", "-id")
        )
    if region is not None:
        if not user_can_upload(user, region):
            raise PermissionDenied(_("Загрузки этого региона вам недоступны."))
        return uploads.filter(region=region)
    if user_has_national_scope(user):
        return uploads
    own = user_region(user)
    return uploads.filter(region=own) if own is not None else uploads.none()


def upload_get_for_user(*, user, pk: int) -> Upload:
    """One upload with everything it carries: Http404 when there is no such upload, PermissionDenied
    when it is another region's (looked up among all uploads, so that the 403 says why)."""
    upload = get_object_or_404(Upload.objects.select_related("region", "uploaded_by"), pk=pk)
    if not user_can_upload(user, upload.region):
        raise PermissionDenied(_("Эта загрузка относится к другому региону."))
    return upload


def template_rows(*, region):
    """Rows of the pre-filled template: every organisation of the region, figures left blank."""

    organisations = (
        Organisation.objects.filter(region=region)
        .order_by("municipality__name", "name")
        .values_list("org_id", "name", "kind", "municipality__name")
    )
    for org_id, name, kind, municipality in organisations:
        yield (org_id, name, KIND_ABBREVIATIONS.get(kind, kind), municipality or "")

"""The upload pages: send a file, the histories a user may see, one upload's result. Every upload
is read through ``uploads_for_user`` / ``upload_get_for_user``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from metrics.choices import UploadState
from metrics.constants import FINAL_UPLOAD_STATUSES
from metrics.counts import COUNT_FIELDS
from metrics.filtersets import UploadFilterSet
from metrics.selectors import upload_get_for_user, upload_warning_groups, uploads_for_user
from metrics.services import upload_create, upload_import_checked
from regions.models import Region
from regions.selectors import user_can_upload, user_has_national_scope, user_region
from sferum_migration.exceptions import ApplicationError

from ..errors import refusal_shown, refusals_shown_on
from ..forms import UploadForm
from ..tables import count_headers
from .common import region_crumbs, russia_url

ERRORS_SHOWN = 500
WARNINGS_SHOWN_PER_CODE = 20
PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def upload_list(request):
    """The upload form and the history of uploads the user may see."""
    own_region = user_region(request.user)
    can_upload = user_can_upload(request.user, own_region)
    form = UploadForm(request.POST or None, request.FILES or None, region=own_region)
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied(_("Ваша учётная запись не может загружать файлы."))
        if form.is_valid():
            with refusals_shown_on(form):
                upload = upload_create(user=request.user, **form.cleaned_data)
                messages.info(request, _upload_accepted_message(upload))
                return redirect(upload)
    filterset = UploadFilterSet(request.GET or None, queryset=uploads_for_user(user=request.user), request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/upload_list.html",
        {
            "nav": "uploads",
            "form": form if can_upload else None,
            "can_upload": can_upload,
            "filterset": filterset,
            "page": page,
            "breadcrumbs": [(_("Россия"), russia_url(request)), (_("Загрузки"), None)],
        },
    )


def _diff_changes(upload) -> list[tuple[str, int]]:
    """The diff's total change per count, named as the tables name the counts, in their order."""
    changed = (upload.diff or {}).get("changed_totals") or {}
    labels = dict(zip(COUNT_FIELDS, count_headers(), strict=True))
    return [(labels[code], changed[code]) for code in COUNT_FIELDS if changed.get(code)]


def _upload_accepted_message(upload) -> str:
    """The flash after sending a file: a dry run says that nothing is saved, checked or not yet
    (without a broker the job has run before the redirect)."""
    upload.refresh_from_db(fields=["status"])
    if not upload.dry_run:
        return _("Файл принят и поставлен в очередь на обработку.")
    if upload.state == UploadState.CHECKED:
        return _(
            "Файл проверен, ошибок нет. Ничего не сохранено: чтобы загрузить данные, нажмите «Загрузить этот файл»."
        )
    if upload.status in FINAL_UPLOAD_STATUSES:
        return _("Файл проверен. Ничего не сохранено.")
    return _("Файл поставлен в очередь на проверку. Ничего не будет сохранено.")


@require_POST
def upload_import(request, pk):
    """Import for real the file of a dry run that passed (the same file, region, week and mode)."""
    checked = upload_get_for_user(user=request.user, pk=pk)
    try:
        upload = upload_import_checked(user=request.user, upload=checked)
    except ApplicationError as error:
        messages.error(request, refusal_shown(error))
        return redirect(checked)
    messages.info(request, _("Файл проверки № %(n)s отправлен на загрузку.") % {"n": checked.pk})
    return redirect(upload)


def region_uploads(request, code):
    """The upload history of one region: ministry staff and that region's coordinator only."""
    region = get_object_or_404(Region.objects.select_related("federal_district"), code=code)
    uploads = uploads_for_user(user=request.user, region=region)
    page = Paginator(uploads, PAGE_SIZE).get_page(request.GET.get("page"))
    crumbs = [*region_crumbs(request, region, link_last=True), (_("Загрузки"), None)]
    return render(
        request,
        "dashboard/region_uploads.html",
        {"nav": "uploads", "region": region, "page": page, "breadcrumbs": crumbs},
    )


def upload_detail(request, pk):
    """One upload: its progress while it runs, then the result, the diff, its row errors (the first
    of them, all counted by column and reason) and its data-quality warnings by kind (the first of each)."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "dashboard/upload_detail.html",
        {
            "nav": "uploads",
            "upload": upload,
            "errors_shown": upload.errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, upload.errors_total - ERRORS_SHOWN),
            "errors_not_kept": max(0, upload.errors_total - len(upload.errors)),
            "warning_groups": upload_warning_groups(upload=upload, per_code=WARNINGS_SHOWN_PER_CODE),
            "can_explain": user_has_national_scope(request.user),
            "diff_changes": _diff_changes(upload),
            "can_import": upload.state == UploadState.CHECKED and user_can_upload(request.user, upload.region),
            "breadcrumbs": [
                (_("Россия"), russia_url(request)),
                (_("Загрузки"), reverse("dashboard:upload_list")),
                (f"№ {upload.pk}", None),
            ],
        },
    )

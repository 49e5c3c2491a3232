"""Data-quality warnings of an upload: a ministry user explains one; everyone who may see the
upload downloads them. The upload is read through ``upload_get_for_user`` (403 for another region)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from metrics.models import UploadWarning
from metrics.selectors import upload_get_for_user, upload_warnings
from metrics.services import upload_warning_explain as warning_explain
from regions.selectors import user_has_national_scope

from ..exports import table_response
from ..forms import WarningExplainForm
from ..templatetags.quality_tags import warning_column, warning_label, warning_value


@require_POST
def upload_warning_explain(request, pk, warning_pk):
    """Mark one warning of an upload as explained, with a comment: ministry staff only."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    if not user_has_national_scope(request.user):
        raise PermissionDenied(_("Объяснять предупреждения могут только сотрудники министерства."))
    form = WarningExplainForm(request.POST)
    if form.is_valid():
        try:
            warning_explain(
                user=request.user, upload_id=upload.pk, warning_id=warning_pk, comment=form.cleaned_data["comment"]
            )
        except UploadWarning.DoesNotExist as missing:
            raise Http404(_("У этой загрузки нет такого предупреждения.")) from missing
        messages.success(request, _("Предупреждение отмечено как объяснённое; оно больше не учитывается в сводках."))
    else:
        messages.error(request, _("Напишите объяснение: без него предупреждение не снимается."))
    return redirect(f"{upload.get_absolute_url()}#warning-{warning_pk}")


def upload_warnings_export(request, pk, fmt):
    """Every stored data-quality warning of an upload as a table."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    headers = [
        _("Вид"),
        _("Регион"),
        _("Неделя"),
        _("Строка"),
        _("ID организации"),
        _("Организация"),
        _("Столбец или показатель"),
        _("Было"),
        _("Стало"),
        _("Что не так"),
        _("Объяснено"),
        _("Кто объяснил"),
        _("Объяснение"),
    ]
    rows = (
        (
            warning_label(w.code),
            w.region.code,
            w.week,
            w.line,
            w.org_id,
            w.name,
            warning_column(w),
            warning_value(w, "previous"),
            warning_value(w, "new"),
            w.message,
            w.explained_at,
            w.explained_by.username if w.explained_by else "",
            w.explanation,
        )
        for w in upload_warnings(upload=upload)
    )
    return table_response(fmt, f"preduprezhdeniya-zagruzki-{upload.pk}", headers, rows)

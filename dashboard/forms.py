"""Forms of the pages: input validation only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from metrics.choices import KpiCode, ReportingStatus, UploadMode
from metrics.kpi import STATUS_SEVERITY, monday_of, validate_accepted_week
from regions.models import FederalDistrict, Region


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Файл"), help_text=_("CSV (UTF-8 или Windows-1251; разделитель «;», «,» или табуляция) или XLSX.")
    )
    region = forms.ModelChoiceField(
        label=_("Регион"),
        queryset=Region.objects.order_by("code"),
        required=False,
        empty_label=_("— национальный файл со столбцом «Код региона» —"),
    )
    week = forms.DateField(
        label=_("Неделя"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Любой день недели; не нужна, если в файле есть столбец «Неделя»."),
        validators=[validate_accepted_week],
    )
    mode = forms.ChoiceField(label=_("Режим"), choices=UploadMode.choices, initial=UploadMode.ATOMIC)
    dry_run = forms.BooleanField(label=_("Только проверить, ничего не сохранять"), required=False)

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        if region is not None:
            # A coordinator is offered their own region only. The field still accepts any region,
            # so that another region is refused by the upload service's scope check (403).
            field = self.fields["region"]
            field.initial = region
            field.required = True
            field.widget.choices = [(region.pk, str(region))]


# The formats a page's ?week= is read in (sferum_migration.middleware reads it the same way).
WEEK_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class PageFilterForm(forms.Form):
    """Filters every KPI page shares: the week (any day of it) and the KPI the rankings use.

    A page never fails on a bad parameter: an invalid value is ignored and the default applies.
    (A real date outside the accepted weeks never gets here: RequestGuardMiddleware answers 400.)
    """

    week = forms.DateField(
        label=_("Неделя"), required=False, input_formats=WEEK_INPUT_FORMATS, validators=[validate_accepted_week]
    )
    kpi = forms.ChoiceField(label=_("Показатель"), required=False, choices=KpiCode.choices)

    def value(self, name, default=None):
        """A field's clean value, or ``default`` when it is absent or invalid."""
        if not self.is_bound:
            return default
        self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def week_value(self):
        """The Monday of the week asked for, or None."""
        day = self.value("week")
        return monday_of(day) if day else None


class OverviewFilterForm(PageFilterForm):
    """The federal overview's filters on top of the week and the KPI."""

    district = forms.ModelChoiceField(
        label=_("Федеральный округ"),
        queryset=FederalDistrict.objects.order_by("order"),
        to_field_name="code",
        required=False,
        empty_label=_("Все округа"),
    )
    pilot = forms.TypedChoiceField(
        label=_("Пилотные"),
        required=False,
        choices=[("", _("Все регионы")), ("1", _("Только пилотные")), ("0", _("Кроме пилотных"))],
        coerce=lambda value: value == "1",
        empty_value=None,
    )
    status = forms.ChoiceField(
        label=_("Статус графика"),
        required=False,
        # Most severe first, as every list orders them.
        choices=[("", _("Любой статус")), *[(s.value, s.label) for s in STATUS_SEVERITY]],
    )


class ReportingFilterForm(PageFilterForm):
    """The reporting register's filters (named as the API's): the week, a federal district, a
    reporting status."""

    federal_district = forms.ModelChoiceField(
        label=_("Федеральный округ"),
        queryset=FederalDistrict.objects.order_by("order"),
        to_field_name="code",
        required=False,
        empty_label=_("Все округа"),
    )
    status = forms.ChoiceField(
        label=_("Отчётность"), required=False, choices=[("", _("Любая")), *ReportingStatus.choices]
    )


class WarningExplainForm(forms.Form):
    """A ministry user's explanation of a data-quality warning."""

    comment = forms.CharField(label=_("Объяснение"), max_length=2000, strip=True)

"""Forms of the pages: input validation only."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
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


def _attrs_html(attrs: dict) -> str:
    """Django's widgets/attrs.html: `` name="value"``, a bare `` name`` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


class FilterSelect(forms.Select):
    """A select of the pages' filters, written as Django's select.html and select_option.html
    write it, byte for byte, without their templates: rendering them (an include per option) was
    a few milliseconds of every page with filters."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts += [
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
                for option in options
            ]
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value in it is escaped


class _ListChoiceIterator(ModelChoiceIterator):
    """The choices of a short reference list read with one plain query, not through a
    server-side cursor (``QuerySet.iterator()``: three round trips on PostgreSQL)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class FilterModelChoiceField(forms.ModelChoiceField):
    """A filter among a few rows (the federal districts), shown with ``FilterSelect``."""

    iterator = _ListChoiceIterator
    widget = FilterSelect


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
    kpi = forms.ChoiceField(label=_("Показатель"), required=False, choices=KpiCode.choices, widget=FilterSelect)

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

    district = FilterModelChoiceField(
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
        widget=FilterSelect,
    )
    status = forms.ChoiceField(
        label=_("Статус графика"),
        required=False,
        # Most severe first, as every list orders them.
        choices=[("", _("Любой статус")), *[(s.value, s.label) for s in STATUS_SEVERITY]],
        widget=FilterSelect,
    )


class ReportingFilterForm(PageFilterForm):
    """The reporting register's filters (named as the API's): the week, a federal district, a
    reporting status."""

    federal_district = FilterModelChoiceField(
        label=_("Федеральный округ"),
        queryset=FederalDistrict.objects.order_by("order"),
        to_field_name="code",
        required=False,
        empty_label=_("Все округа"),
    )
    status = forms.ChoiceField(
        label=_("Отчётность"), required=False, choices=[("", _("Любая")), *ReportingStatus.choices], widget=FilterSelect
    )


class WarningExplainForm(forms.Form):
    """A ministry user's explanation of a data-quality warning."""

    comment = forms.CharField(label=_("Объяснение"), max_length=2000, strip=True)

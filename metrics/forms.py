"""Form fields of the metrics models' admin: a KPI target typed as people write it."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

TARGET_PLACES = Decimal("0.0001")  # the model's four decimal places


class KpiTargetField(forms.DecimalField):
    """A target stored as a fraction (0.75) but accepted as a percent too: «75», «75 %», «75,5»
    become 0.75 and 0.755; «0,75» and «1» stay fractions (a number up to 1 is a fraction unless it
    carries «%»). A number over 100 is refused with a sentence that says what to type, not the
    decimal field's «не более 1 цифры перед запятой»."""

    default_error_messages = {
        "invalid": _("Введите долю от 0 до 1 (0,75) или процент от 0 до 100 (75)."),
        "out_of_range": _("Целевое значение — от 0 до 100 %%: введено %(value)s."),
    }

    def __init__(self, **kwargs):
        hint, own = _("Доля (0,75) или процент (75): оба значат 75 %."), kwargs.get("help_text")
        kwargs["help_text"] = format_lazy("{} {}", hint, own) if own else hint
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip().replace("\u00a0", "").replace(" ", "")
            as_percent = text.endswith("%")
            text = text.removesuffix("%").replace(",", ".")
            if text in self.empty_values:
                return None
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if as_percent and number.is_finite() and 0 <= number <= 1:
                number /= 100  # «0,5 %» is half a percent, not a half
        else:
            number = super().to_python(value)
            if number is None:
                return None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if number < 0 or number > 100:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range", params={"value": value})
        if number > 1:
            number /= 100
        return number.quantize(TARGET_PLACES, rounding=ROUND_HALF_UP)


class KpiTargetAdminMixin:
    """An admin (or inline) whose decimal fields are KPI targets."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "target":
            kwargs["form_class"] = KpiTargetField
        return super().formfield_for_dbfield(db_field, request, **kwargs)

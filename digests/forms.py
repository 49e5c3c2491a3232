from django import forms
from django.utils.translation import gettext_lazy as _


class DigestSubscriptionForm(forms.Form):
    """The profile's one setting: whether to receive the weekly digest."""

    subscribed = forms.BooleanField(label=_("Получать еженедельную сводку по электронной почте"), required=False)

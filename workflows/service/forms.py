from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import REASON_VALIDATORS

from .models import MAX_HOURS


class CorrectionForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Correct hours"),
        min_value=Decimal("0"),
        max_value=MAX_HOURS,
        max_digits=5,
        decimal_places=2,
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        validators=REASON_VALIDATORS,
    )

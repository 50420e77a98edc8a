from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class LogFilterForm(forms.Form):
    """The management log's filter on the overview: actions starting with what is typed."""

    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=50,
        validators=[RegexValidator(r"^[a-z_.]*$", _("Letters, dots and underscores only."))],
        widget=forms.TextInput(attrs={"placeholder": "agreement."}),
    )

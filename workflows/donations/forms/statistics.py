"""The filter of the donation statistics."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


class StatisticsFilterForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), required=False, queryset=Organization.objects.none()
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = organizations
        field.empty_label = _("All organizations")

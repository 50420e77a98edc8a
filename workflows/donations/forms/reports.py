"""The usage report's forms: the report itself (title, narrative), an expenditure line, an
evidence file."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin

from ..models import Expenditure, UsageReport


class ReportForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = UsageReport
        fields = ["title", "narrative"]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "narrative": _("What the money did: for whom, when, and what came of it."),
        }

    def service_fields(self) -> dict[str, Any]:
        """What was typed, for `report_create` / `report_update`."""
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class ExpenditureForm(PlainTextFormMixin, forms.ModelForm):
    """One expenditure, under one of the project's budget categories."""

    category = forms.ChoiceField(label=_("Category"))

    class Meta:
        model = Expenditure
        fields = ["spent_on", "category", "amount", "payee", "description"]
        widgets = {
            "spent_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "---------"), *((c, c) for c in categories)]
        self.fields["spent_on"].input_formats = ["%Y-%m-%d"]

    def service_fields(self) -> dict[str, Any]:
        """What was typed, for `report_line_add`."""
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class EvidenceForm(forms.Form):
    """An invoice, a receipt or a photo behind an expenditure; its content is checked by the
    service (PDF, PNG or JPEG, whatever its name says)."""

    file = forms.FileField(
        label=_("Evidence file"),
        help_text=_("PDF, PNG or JPEG, at most 10 MB. The public sees its name and SHA-256."),
    )

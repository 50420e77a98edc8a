from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.forms import PlainTextFormMixin
from accounts.models import Organization, User
from accounts.validators import REASON_VALIDATORS
from documents.uploads import stored_file_name, validate_upload

from .models import MAX_HOURS, HonourHours


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


class HonourHoursForm(PlainTextFormMixin, forms.ModelForm):
    """An entry of honour hours as the staff type it: the person by username or email (an
    account must exist), and an evidence file whose content must be a PDF or an image."""

    person = forms.CharField(
        label=pgettext_lazy("service", "Person"),
        max_length=254,
        help_text=_("The username or email of the person who served."),
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), empty_label=None
    )

    class Meta:
        model = HonourHours
        fields = ("organization", "person", "served_on", "hours", "description", "evidence")
        widgets = {
            "served_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"evidence": _("Optional: a PDF, PNG or JPEG file, at most 10 MB.")}

    def __init__(
        self, *args: Any, organizations: QuerySet[Organization] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if organizations is None:  # editing: the entry stays with its organization
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
        if self.instance.pk is not None and not self.is_bound:
            self.initial["person"] = self.instance.person.username

    def clean_person(self) -> User:
        """The one active account with this username, or else with this email (any case)."""
        text = self.cleaned_data["person"].strip()
        person = User.objects.filter(username=text, is_active=True).first()
        if person is None and text:
            matches = list(User.objects.filter(email__iexact=text, is_active=True)[:2])
            person = matches[0] if len(matches) == 1 else None
        if person is None:
            raise forms.ValidationError(_("No one has this username or email."))
        return person

    def clean_served_on(self) -> Any:
        served_on = self.cleaned_data["served_on"]
        if served_on > timezone.localdate():
            raise forms.ValidationError(_("The date of service cannot be in the future."))
        return served_on

    def clean_evidence(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("evidence")
        if not isinstance(upload, UploadedFile):
            return None  # nothing new: an entry keeps the file it has
        content_type = validate_upload(upload)
        upload.name = stored_file_name(content_type)
        return upload

    def service_fields(self) -> dict[str, Any]:
        """What was typed, for the service (the organization goes on its own)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "organization"}

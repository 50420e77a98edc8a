from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.selectors import organizations_active
from accounts.validators import LONG_TEXT_MAX_LENGTH, REASON_MAX_LENGTH, SEARCH_MAX_LENGTH
from documents.uploads import validate_upload

from .models import AMOUNT_VALIDATORS, AidAgreement


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            validate_upload(upload)
        return cleaned


class IsoDateInput(forms.DateInput):
    """A browser date picker. Its value is ISO 8601 (YYYY-MM-DD) in every language: a localized
    value such as 2027/01/15 is not one the input reads, and it would show empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AgreementForm(PlainTextFormMixin, forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, PNG or JPEG, at most 10 MB each."),
    )

    class Meta:
        model = AidAgreement
        fields = [
            "community",
            "organization",
            "title",
            "scope",
            "terms",
            "effective_date",
            "end_date",
            "amount",
            "language",
        ]
        widgets = {
            "effective_date": IsoDateInput(),
            "end_date": IsoDateInput(),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["organization"].queryset = organizations_active()
        # Model validation is skipped (see _post_clean): the model's bounds are checked here.
        self.fields["amount"].validators.extend(AMOUNT_VALIDATORS)
        for name in ("scope", "terms"):
            self.fields[name].validators.append(MaxLengthValidator(LONG_TEXT_MAX_LENGTH))
        if self.instance.pk:
            # The parties are fixed once drafted.
            del self.fields["community"]
            del self.fields["organization"]

    def service_fields(self) -> dict[str, Any]:
        """What the services take besides the attachments."""
        return {k: v for k, v in self.cleaned_data.items() if k != "attachments"}

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("effective_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("The end date must be after the effective date."))
        return data

    def _post_clean(self) -> None:
        # Model validation would trip over the check constraint before our clear message.
        pass


class SignForm(forms.Form):
    read = forms.BooleanField(
        label=_("I have read the agreement"),
        error_messages={"required": _("Read the agreement and confirm it before you sign.")},
    )
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Signing is a legal act: confirm it with your password."),
    )


class DeclineForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        help_text=_("The community sees it."),
    )
    confirm = forms.BooleanField(
        label=_("I decline this agreement: it ends here and cannot be signed any more"),
        error_messages={"required": _("Confirm that you decline the agreement.")},
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I withdraw this agreement: it ends here and cannot be signed any more"),
        error_messages={"required": _("Confirm that you withdraw the agreement.")},
    )


class TerminationRequestForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH
    )
    effective_date = forms.DateField(label=_("Proposed effective date"), widget=IsoDateInput())
    confirm = forms.BooleanField(
        label=_("I ask to end this agreement; once an approver agrees, it ends on that date"),
        error_messages={"required": _("Confirm that you ask to end the agreement.")},
    )

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm"}


class TerminationDecisionForm(PlainTextFormMixin, forms.Form):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve the termination")
        REJECT = "reject", _("Reject the request")

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect, choices=Decision.choices
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Required when you reject; both parties see it."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == self.Decision.REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the parties a reason."))
        return data


class StatusFilterForm(PlainTextFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("pending", _("Pending signature")),
            ("signed", _("Signed")),
            ("expired", _("Expired")),
            ("ended", _("Ended")),
        ],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH)

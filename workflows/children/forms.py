import datetime
import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community, Organization, User
from accounts.validators import REASON_VALIDATORS
from documents.uploads import stored_file_name, validate_upload

from .models import TEXT_MAX_LENGTH, ChildRecord, ChildTransfer, Visit

# The fields of a record the staff type (the organization goes on its own, the encrypted
# ones through their own fields below).
RECORD_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "community",
    "school",
    "guardian_name",
    "guardian_contact",
    "situation_and_needs",
    "consent_given_by",
    "consent_given_on",
    "consent_scan",
)
ID_NUMBER_MAX_LENGTH = 18
OLDEST_CHILD_YEARS = 25
# Digits, the last one possibly an X (the check character of a resident identity number).
ID_NUMBER_SHAPE = re.compile(r"[0-9]{5,17}[0-9X]", re.ASCII)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_in_future(value: datetime.date | None, message: Any) -> datetime.date | None:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(message)
    return value


class ChildRecordForm(PlainTextFormMixin, forms.ModelForm):
    """A child's record as the organization's staff type it. The identity number and the
    health notes are encrypted by the service; the guardian's account is found by username
    or email; the consent scan must be a PDF, PNG or JPEG by its content."""

    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), empty_label=None
    )
    id_number = forms.CharField(
        label=_("Identity number"),
        max_length=ID_NUMBER_MAX_LENGTH,
        required=False,
        help_text=_("Stored encrypted; lists show only its last four characters."),
    )
    health_notes = forms.CharField(
        label=_("Health notes"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted; shown only on the record's page."),
    )
    guardian_account = forms.CharField(
        label=_("Guardian's account"),
        max_length=254,
        required=False,
        help_text=_(
            "Optional: the username or email of the guardian's account, who may then read "
            "this record."
        ),
    )

    class Meta:
        model = ChildRecord
        fields = ("organization", *RECORD_FIELDS)
        widgets = {
            "birth_date": _date_input(),
            "consent_given_on": _date_input(),
            "situation_and_needs": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"consent_scan": _("A PDF, PNG or JPEG file, at most 10 MB.")}

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization] | None = None,
        protected: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organizations is None:  # editing: the record stays with its organization
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
        self.fields["community"].queryset = Community.objects.order_by("name")
        if self.instance.pk is not None and not self.is_bound:
            if self.instance.guardian_user_id is not None:
                self.initial["guardian_account"] = self.instance.guardian_user.username
            if protected is not None:
                self.initial["id_number"] = protected.id_number
                self.initial["health_notes"] = protected.health_notes

    def clean_birth_date(self) -> datetime.date:
        birth_date = _not_in_future(
            self.cleaned_data["birth_date"], _("The date of birth cannot be in the future.")
        )
        oldest = timezone.localdate().year - OLDEST_CHILD_YEARS
        if birth_date.year < oldest:
            raise forms.ValidationError(_("This date of birth is not a child's."))
        return birth_date

    def clean_consent_given_on(self) -> datetime.date:
        return _not_in_future(
            self.cleaned_data["consent_given_on"], _("The consent date cannot be in the future.")
        )

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if value and not ID_NUMBER_SHAPE.fullmatch(value):
            raise forms.ValidationError(_("Enter the identity number's digits (and X)."))
        return value

    def clean_guardian_account(self) -> User | None:
        text = self.cleaned_data["guardian_account"].strip()
        if not text:
            return None
        user = User.objects.filter(username=text, is_active=True).first()
        if user is None:
            matches = list(User.objects.filter(email__iexact=text, is_active=True)[:2])
            user = matches[0] if len(matches) == 1 else None
        if user is None:
            raise forms.ValidationError(_("No one has this username or email."))
        return user

    def clean_consent_scan(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("consent_scan")
        if not isinstance(upload, UploadedFile):
            return None  # nothing new: a record keeps the scan it has
        content_type = validate_upload(upload)
        upload.name = stored_file_name(content_type)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_scan = cleaned.get("consent_scan") or (self.instance.pk and self.instance.consent_scan)
        if "consent_scan" in cleaned and not has_scan:
            self.add_error("consent_scan", _("Attach the scan of the signed consent."))
        return cleaned

    def _post_clean(self) -> None:
        # The service builds and saves the record: the model instance is left as it is.
        pass

    def service_fields(self) -> dict[str, Any]:
        """What was typed, for the service (the organization goes on its own)."""
        fields = {k: self.cleaned_data[k] for k in RECORD_FIELDS if k in self.cleaned_data}
        fields["id_number"] = self.cleaned_data["id_number"]
        fields["health_notes"] = self.cleaned_data["health_notes"]
        fields["guardian_user"] = self.cleaned_data["guardian_account"]
        return fields


class VisitForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Visit
        fields = ("date", "notes", "follow_up", "next_visit_due")
        widgets = {
            "date": _date_input(),
            "next_visit_due": _date_input(),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "follow_up": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_date(self) -> datetime.date:
        return _not_in_future(
            self.cleaned_data["date"], _("The date of the visit cannot be in the future.")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date, due = cleaned.get("date"), cleaned.get("next_visit_due")
        if date and due and due < date:
            self.add_error("next_visit_due", _("The next visit comes after this one."))
        return cleaned


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=100, required=False)
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class TransferRequestForm(PlainTextFormMixin, forms.Form):
    to_organization = forms.ModelChoiceField(
        label=_("Move to the organization"), queryset=Organization.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), validators=REASON_VALIDATORS
    )

    def __init__(self, *args: Any, targets: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organization"].queryset = targets


class TransferDecisionForm(PlainTextFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ChildTransfer.Status.APPROVED, _("Approve the transfer")),
            (ChildTransfer.Status.REJECTED, _("Reject the transfer")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=REASON_VALIDATORS,
    )

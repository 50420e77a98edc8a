from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.validators import REASON_MAX_LENGTH, validate_credit_code
from documents.uploads import validate_upload

from .models import OrganizationApplication


class ApplicationForm(PlainTextFormMixin, forms.ModelForm):
    certificate = forms.FileField(
        label=_("Registration certificate"),
        required=False,
        help_text=_("PDF, PNG or JPEG, at most 10 MB."),
    )

    class Meta:
        model = OrganizationApplication
        fields = [
            "name",
            "kind",
            "credit_code",
            "contact_name",
            "contact_phone",
            "contact_email",
            "address",
            "service_area",
        ]
        help_texts = {
            "credit_code": _("18 characters, as printed on the registration certificate.")
        }

    # What a draft needs: something to recognize it by. Submission needs every field (they are
    # marked required), so the browser must not refuse "Save draft" for an empty one.
    DRAFT_REQUIRED = ("name",)
    use_required_attribute = False

    def __init__(self, *args: Any, draft: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.required:  # what submission needs, told to assistive technology too
                field.widget.attrs["aria-required"] = "true"
        if draft:
            for name, field in self.fields.items():
                field.required = name in self.DRAFT_REQUIRED

    def clean_credit_code(self) -> str:
        code = (self.cleaned_data["credit_code"] or "").strip().upper()
        if code or self.fields["credit_code"].required:
            validate_credit_code(code)
        return code

    def service_fields(self) -> dict[str, Any]:
        """What the services take besides the certificate upload."""
        return {k: v for k, v in self.cleaned_data.items() if k != "certificate"}

    def clean_certificate(self):
        upload = self.cleaned_data.get("certificate")
        if upload:
            validate_upload(upload)
        return upload


class SuspendForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH
    )

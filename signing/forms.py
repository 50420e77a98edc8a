from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from documents.models import is_code, normalize_code
from documents.uploads import validate_upload


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("The code printed at the bottom of every page, beside the QR code."),
    )

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if not is_code(code):
            raise ValidationError(
                _("No document has this code. Check the code printed at the bottom of the PDF."),
                code="not_a_code",
            )
        return code


class VerifyUploadForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file"),
        help_text=_("The file is checked and then discarded: nothing is stored."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Not parsed here: the validation reads it, and its report says when it cannot.
        validate_upload(
            upload,
            allowed=["application/pdf"],
            max_bytes=settings.ACCORD_MAX_UPLOAD_BYTES,
            parse=False,
        )
        upload.seek(0)
        data = upload.read()
        if not data:
            raise ValidationError(_("The file is empty."), code="empty")
        return data

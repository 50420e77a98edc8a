from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from documents.uploads import validate_upload


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

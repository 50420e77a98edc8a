from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import User
from .validators import validate_plain_multiline_text, validate_plain_text


class PlainTextFormMixin:
    """Every text field of the form refuses characters that cannot be shown or printed
    (control, private-use, surrogate, unassigned); a textarea keeps its line breaks and tabs.
    Passwords are left as typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.PasswordInput
            ):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(
                    validate_plain_multiline_text if multiline else validate_plain_text
                )


class SignUpForm(PlainTextFormMixin, UserCreationForm):
    email = forms.EmailField(label=_("Email"), required=True)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "preferred_language")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email


class ApproverGrantForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)

    def clean_username(self) -> User:
        user = selectors.user_get_by_username(self.cleaned_data["username"].strip())
        if user is None:
            raise forms.ValidationError(_("There is no account with this username."))
        return user

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm, UserCreationForm
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import selectors, services
from .models import Community, User
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


def email_taken(email: str, *, by_other_than: User | None = None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if by_other_than is not None:
        others = others.exclude(pk=by_other_than.pk)
    return others.exists()


class ProfileForm(PlainTextFormMixin, forms.ModelForm):
    """What a person changes about themselves; the phone number is checked by the model's
    validator (accounts.validators.validate_phone)."""

    email = forms.EmailField(label=_("Email"), required=True)

    class Meta:
        model = User
        fields = (
            "display_name",
            "email",
            "phone",
            "preferred_language",
            "notification_email",
            "leaderboard_opt_in",
        )
        widgets = {"notification_email": forms.RadioSelect}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email_taken(email, by_other_than=self.instance):
            raise forms.ValidationError(_("An account with this email already exists."))
        return email

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose email speaks the language the person chose and links to
    the public address of the site (not whatever host the request named)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        context = {**context, "public_url": settings.ACCORD_PUBLIC_URL}
        with translation.override(context["user"].preferred_language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class AuditedSetPasswordForm(SetPasswordForm):
    """Setting a new password from a reset link leaves an audit row."""

    def save(self, commit: bool = True) -> Any:
        return services.user_password_reset(form=self, commit=commit)


class NotificationFilterForm(forms.Form):
    """Which notifications the list shows; anything else shows them all."""

    class Show(models.TextChoices):
        ALL = "", _("All")
        UNREAD = "unread", _("Unread")
        READ = "read", pgettext_lazy("notifications", "Read")

    show = forms.ChoiceField(choices=Show.choices, required=False)

    def state(self) -> str:
        return self.cleaned_data["show"] if self.is_valid() else ""


# A date input reads only ISO values, whatever the page's language.
_ISO_DATE = forms.DateInput({"type": "date"}, format="%Y-%m-%d")


class AbsenceForm(forms.Form):
    """An absence: the form offers as delegates only the people holding the same rights."""

    starts_on = forms.DateField(label=_("First day away"), widget=_ISO_DATE)
    ends_on = forms.DateField(label=_("Last day away"), widget=_ISO_DATE)
    delegate = forms.ModelChoiceField(label=_("Delegate"), queryset=User.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = selectors.delegate_candidates(user=user)
        self.fields["delegate"].help_text = _(
            "They take your tasks while you are away; signatures stay yours."
        )


class ResidencyForm(forms.Form):
    """The community a person lives in (its managers confirm it)."""

    community = forms.ModelChoiceField(
        label=_("My community"),
        queryset=Community.objects.order_by("name"),
        help_text=_("A manager of the community confirms that you live there."),
    )

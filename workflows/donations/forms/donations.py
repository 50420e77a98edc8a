"""Forms of the donation pages: the staff's record of a donation received, a resident's
pledge (with the answers to the project's questions), the confirmation of a pledge, a void."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.validators import REASON_MAX_LENGTH, validate_plain_text

from ..models import MAX_AMOUNT, MIN_AMOUNT, Channel, Donation

ANSWER_MAX_LENGTH = 2_000
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def amount_field() -> forms.DecimalField:
    # DecimalField refuses NaN, infinities and a third decimal place; never a float.
    return forms.DecimalField(
        label=_("Amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        min_value=MIN_AMOUNT,
        max_value=MAX_AMOUNT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": str(MIN_AMOUNT)}),
    )


class _ReceivedOnMixin:
    def clean_received_on(self) -> Any:
        received_on = self.cleaned_data.get("received_on")
        if received_on is not None and received_on > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return received_on


class DonationForm(_ReceivedOnMixin, PlainTextFormMixin, forms.ModelForm):
    """Money or goods the organization's staff received."""

    amount = amount_field()
    in_kind_description = forms.CharField(
        label=_("What was given, and how it was valued"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required for a donation in kind: what was given, and the value recorded for it."
        ),
    )

    # Consent, not refusal: a donor's name is public only when they agreed to it.
    named_publicly = forms.BooleanField(
        label=_("The donor agreed to be named on the public pages"),
        required=False,
        help_text=_("Otherwise the public pages say “Anonymous”; the receipt names the donor."),
    )

    class Meta:
        model = Donation
        fields = [
            "donor_name",
            "donor_email",
            "donor_phone",
            "amount",
            "channel",
            "in_kind_description",
            "received_on",
            "reference",
        ]
        widgets = {"received_on": DATE_WIDGET}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].required = True
        self.fields["received_on"].initial = timezone.localdate
        self.fields["donor_name"].help_text = _(
            "Leave empty for a donor who gave no name: the receipt then says “Anonymous donor”."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["anonymous"] = not data.pop("named_publicly", False)
        if (
            data.get("channel") == Channel.IN_KIND
            and not (data.get("in_kind_description") or "").strip()
        ):
            self.add_error(
                "in_kind_description",
                _("Describe what was given, and how it was valued, for a donation in kind."),
            )
        return data


class PledgeForm(PlainTextFormMixin, forms.Form):
    """A resident's pledge: the amount, whether their name may appear on the public pages
    (not unless they say so), and the answers to the project's questions."""

    amount = amount_field()
    named_publicly = forms.BooleanField(
        label=_("Show my name on the public pages"),
        required=False,
        help_text=_("Otherwise they say “Anonymous”. Your receipt names you either way."),
    )

    def __init__(self, *args: Any, questions: list[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions or [])
        for number, question in enumerate(self.questions):
            name = f"answer_{number}"
            if question.get("choices"):
                self.fields[name] = forms.ChoiceField(
                    label=question["label"],
                    required=bool(question.get("required")),
                    choices=[("", "—"), *((c, c) for c in question["choices"])],
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question["label"],
                    required=bool(question.get("required")),
                    max_length=ANSWER_MAX_LENGTH,
                    # Added after the mixin ran: the same check of what was typed.
                    validators=[validate_plain_text],
                )

    def answers(self) -> dict[str, str]:
        return {
            question["label"]: self.cleaned_data.get(f"answer_{number}") or ""
            for number, question in enumerate(self.questions)
        }


class ConfirmForm(_ReceivedOnMixin, PlainTextFormMixin, forms.Form):
    """The staff confirm a pledge's money arrived."""

    received_on = forms.DateField(label=_("Received on"), widget=DATE_WIDGET)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("A bank transaction number, a receipt book number…"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate


class VoidForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is this donation void?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
    )

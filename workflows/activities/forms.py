from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community, Organization
from accounts.validators import REASON_MAX_LENGTH, SEARCH_MAX_LENGTH
from workflows.inbox import form_pieces
from workflows.inbox.form_pieces import cover_clean, format_questions

from .models import Activity, Registration, Theme

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ActivityForm(PlainTextFormMixin, forms.ModelForm):
    COVER_MAX_WIDTH = 1600

    cover = forms.ImageField(
        label=_("Cover image"), required=False, help_text=_("PNG or JPEG, at most 10 MB.")
    )

    class Meta:
        model = Activity
        fields = [
            "title",
            "theme",
            "community",
            "address",
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "capacity",
            "reserved_places",
            "needs_review",
            "service_hours",
            "points",
            "contact",
            "content",
        ]
        widgets = {
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
            "registration_opens_at": DATETIME_WIDGET,
            "registration_closes_at": DATETIME_WIDGET,
            "content": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization] | None = None,
        editable: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`organizations`: a new activity's choice of organization (a field only when there
        is more than one). `editable`: the only fields that may still change (a published
        activity's); the others are shown as they are."""
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.order_by("name")
        self.fields["reserved_places"].required = False  # none reserved unless said
        self.fields["questions_text"] = forms.CharField(
            label=_("Questions for registrants"),
            required=False,
            max_length=QUESTIONS_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            initial=format_questions(self.instance.questions if self.instance.pk else []),
            help_text=_(
                "One question per line. End it with * when an answer is required; for a "
                "choice, write the options after a colon, separated by /. For example: "
                "“T-shirt size *: S / M / L”."
            ),
        )
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if organizations is not None and len(organizations) > 1:
            self.fields = {
                "organization": forms.ModelChoiceField(
                    label=_("Organization"), queryset=organizations, empty_label=None
                ),
                **self.fields,
            }
        if editable is not None:
            for name, field in self.fields.items():
                field.disabled = name not in editable and name != "cover"

    def clean_cover(self) -> ContentFile | None:
        return cover_clean(self.cleaned_data.get("cover"), max_width=self.COVER_MAX_WIDTH)

    def service_fields(self) -> dict[str, Any]:
        """What was typed, for the service: not a field shown only (its value went through
        the form, which drops microseconds), not the organization, not an empty cover; the
        questions as the list the model keeps."""
        fields = {
            k: v
            for k, v in self.cleaned_data.items()
            if k != "organization" and not self.fields[k].disabled and (k != "cover" or v)
        }
        if "questions_text" in fields:
            fields["questions"] = fields.pop("questions_text")
        return fields

    def clean_reserved_places(self) -> int:
        return self.cleaned_data.get("reserved_places") or 0

    def clean_questions_text(self) -> list[dict[str, Any]]:
        return parse_questions(self.cleaned_data.get("questions_text") or "")


QUESTIONS_MAX_COUNT = 10
QUESTIONS_MAX_LENGTH = 2_000
QUESTION_MAX_LENGTH = 100


def parse_questions(text: str) -> list[dict[str, Any]]:
    """`ActivityForm`'s question lines as the model keeps them (see its help text)."""
    return form_pieces.parse_questions(
        text, max_count=QUESTIONS_MAX_COUNT, max_length=QUESTION_MAX_LENGTH
    )


class ActivityFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH)
    theme = forms.ChoiceField(
        label=_("Theme"), required=False, choices=[("", _("All themes")), *Theme.choices]
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        required=False,
        queryset=Community.objects.order_by("name"),
        empty_label=_("All communities"),
    )
    starts_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    with_places = forms.BooleanField(label=_("Places left"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts_from, starts_until = data.get("starts_from"), data.get("starts_until")
        if starts_from and starts_until and starts_until < starts_from:
            self.add_error("starts_until", _("The end of the period is before its start."))
        return data


class ReasonForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH
    )


class RegistrationBulkForm(PlainTextFormMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("approve", _("Approve")),
            ("waitlist", _("Put on the waiting list")),
            ("reject", _("Reject")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (for a rejection)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    registrations = forms.ModelMultipleChoiceField(
        label=_("Registrations"), queryset=Registration.objects.none()
    )

    def __init__(self, *args: Any, queryset=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["registrations"].queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the people a reason."))
        return data


class CheckInForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket code"), max_length=64)


class InvitationCodeForm(PlainTextFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    uses_allowed = forms.IntegerField(label=_("Uses allowed"), min_value=1, max_value=10_000)
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class NoticeForm(PlainTextFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=REASON_MAX_LENGTH
    )
    statuses = forms.MultipleChoiceField(
        label=_("Send to registrations that are"),
        choices=[
            (value, label)
            for value, label in Registration.Status.choices
            if value in Registration.ACTIVE
        ],
        initial=list(Registration.ACTIVE),
        widget=forms.CheckboxSelectMultiple,
    )


class BlockForm(PlainTextFormMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to block for good."),
    )


class RegisterForm(PlainTextFormMixin, forms.Form):
    """The activity's questions (if any) and, for a guest, an invitation code."""

    invitation_code = forms.CharField(label=_("Invitation code"), max_length=32, required=False)

    def __init__(self, *args: Any, questions: list[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for number, question in enumerate(self.questions):
            name = f"answer_{number}"
            if question.get("choices"):
                self.fields[name] = forms.ChoiceField(
                    label=question["label"],
                    required=question.get("required", False),
                    choices=[("", "—"), *((c, c) for c in question["choices"])],
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question["label"],
                    required=question.get("required", False),
                    max_length=2_000,
                )
        # The code last, after the questions.
        self.order_fields([*(f"answer_{n}" for n in range(len(self.questions))), "invitation_code"])

    def answers(self) -> dict[str, str]:
        return {
            question["label"]: self.cleaned_data.get(f"answer_{number}") or ""
            for number, question in enumerate(self.questions)
        }

"""The donation project's form (new, edit, and the revise task) and the cancel form.

The budget and the donors' questions are typed as lines of text, one line per budget
category or question: a phone's keyboard handles that better than a grid of inputs, and each
error names the line it is about.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community, Organization
from accounts.validators import REASON_MAX_LENGTH
from workflows.inbox import form_pieces
from workflows.inbox.form_pieces import cover_clean, format_questions

from ..models import MAX_AMOUNT, MAX_BUDGET_LINES, MAX_QUESTIONS, MIN_AMOUNT, DonationProject

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CATEGORY_MAX_LENGTH = 100
QUESTION_MAX_LENGTH = 100
BUDGET_TEXT_MAX_LENGTH = 6_000
QUESTIONS_TEXT_MAX_LENGTH = 2_000

# "冬衣 6000", "冬衣：6,000.00", "Books, 1200.5 元": the category, then the amount last.
_BUDGET_LINE = re.compile(
    r"^(?P<category>.*?)(?P<separator>[\s:：,，;；=]*[¥￥]?\s*)"
    r"(?P<amount>[-−]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)"
    r"\s*(?:元|yuan|CNY|RMB)?$",
    re.IGNORECASE,
)


def parse_budget(text: str) -> list[tuple[str, Decimal]]:
    """The budget's lines, each "category amount", as (category, amount); ValidationError
    with one message per line that cannot be used, naming it."""
    lines: list[tuple[str, Decimal]] = []
    errors: list[ValidationError] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        problem = None
        match = _BUDGET_LINE.match(line)
        category = match["category"].strip() if match else ""
        if match is None:
            problem = _("write the category, then its amount, such as “冬衣 6000”.")
        elif not category:
            problem = _("name the category before the amount.")
        elif not match["separator"] and (category[-1].isascii() and category[-1].isalnum()):
            problem = _("put a space between the category and its amount.")
        elif len(category) > CATEGORY_MAX_LENGTH:
            problem = _("a category has at most %(max)s characters.") % {"max": CATEGORY_MAX_LENGTH}
        elif category.casefold() in seen:
            problem = _("the category “%(category)s” is there twice.") % {"category": category}
        else:
            amount = _amount(match["amount"])
            if amount is None or amount < MIN_AMOUNT:
                problem = _("the amount must be more than 0.")
            elif amount > MAX_AMOUNT:
                problem = _("the amount is more than %(max)s yuan.") % {"max": f"{MAX_AMOUNT:,}"}
            elif amount != amount.quantize(Decimal("0.01")):
                problem = _("an amount has at most two decimal places.")
            else:
                seen.add(category.casefold())
                lines.append((category, amount))
        if problem is not None:
            errors.append(
                ValidationError(
                    _("Line %(number)s (“%(line)s”): %(problem)s"),
                    code="budget_line",
                    params={"number": number, "line": line[:40], "problem": problem},
                )
            )
    if errors:
        raise ValidationError(errors)
    if not lines:
        raise ValidationError(_("Give the budget at least one line."), code="required")
    if len(lines) > MAX_BUDGET_LINES:
        raise ValidationError(
            _("At most %(count)s budget lines."),
            code="too_many",
            params={"count": MAX_BUDGET_LINES},
        )
    return lines


def _amount(text: str) -> Decimal | None:
    text = text.replace(",", "").replace("−", "-")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def format_budget(lines: list[tuple[str, Decimal]]) -> str:
    return "\n".join(f"{category} {amount}" for category, amount in lines)


def parse_questions(text: str) -> list[dict[str, Any]]:
    return form_pieces.parse_questions(
        text, max_count=MAX_QUESTIONS, max_length=QUESTION_MAX_LENGTH
    )


class ProjectForm(PlainTextFormMixin, forms.ModelForm):
    COVER_MAX_WIDTH = 1600

    cover = forms.ImageField(
        label=_("Cover image"), required=False, help_text=_("PNG or JPEG, at most 10 MB.")
    )
    budget = forms.CharField(
        label=_("Budget"),
        max_length=BUDGET_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "autocapitalize": "off"}),
        help_text=_(
            "One line per category: the category, then the planned amount in yuan, such as "
            "“冬衣 6000”. At most 30 lines. Usage reports spend under these categories."
        ),
    )
    questions = forms.CharField(
        label=_("Questions for donors"),
        required=False,
        max_length=QUESTIONS_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Asked when someone pledges online; at most 5. One question per line. End it "
            "with * when an answer is required; for a choice, write the options after a "
            "colon, separated by /. For example: “Receipt title *: Personal / Company”."
        ),
    )

    class Meta:
        model = DonationProject
        fields = [
            "title",
            "purpose",
            "target_amount",
            "starts_on",
            "ends_on",
            "community",
            "contact",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 6}),
            "target_amount": forms.NumberInput(
                attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}
            ),
            "starts_on": DATE_WIDGET,
            "ends_on": DATE_WIDGET,
        }
        help_texts = {
            "community": _("The community the donations help, if one."),
            "contact": _("A name and a phone number donors can ask."),
        }

    def __init__(
        self, *args: Any, organizations: QuerySet[Organization] | None = None, **kwargs: Any
    ) -> None:
        """`organizations`: a new project's choice of organization (a field only when there
        is more than one)."""
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.order_by("name")
        self.fields["community"].required = False
        for name in ("starts_on", "ends_on"):
            self.fields[name].input_formats = ["%Y-%m-%d"]
        if self.instance.pk:
            self.fields["questions"].initial = format_questions(self.instance.questions)
            self.fields["budget"].initial = format_budget(
                [(line.category, line.amount) for line in self.instance.budget_lines.all()]
            )
        if organizations is not None and len(organizations) > 1:
            self.fields = {
                "organization": forms.ModelChoiceField(
                    label=_("Organization"), queryset=organizations, empty_label=None
                ),
                **self.fields,
            }
        # The budget and the questions after the project's own fields, the cover last.
        self.order_fields(
            [
                name
                for name in ("organization", *self.Meta.fields, "budget", "questions", "cover")
                if name in self.fields
            ]
        )

    def clean_budget(self) -> list[tuple[str, Decimal]]:
        return parse_budget(self.cleaned_data.get("budget") or "")

    def clean_questions(self) -> list[dict[str, Any]]:
        return parse_questions(self.cleaned_data.get("questions") or "")

    def clean_cover(self) -> ContentFile | None:
        return cover_clean(self.cleaned_data.get("cover"), max_width=self.COVER_MAX_WIDTH)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The project cannot end before it starts."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """What was typed, as `project_create` and `project_update` take it: not the
        organization, not an empty cover."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k != "organization" and (k != "cover" or v)
        }


class CancelForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH
    )


__all__ = [
    "CancelForm",
    "ProjectForm",
    "format_budget",
    "format_questions",
    "parse_budget",
    "parse_questions",
]

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.validators import REASON_MAX_LENGTH


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    REJECT = "reject", _("Reject")


class DecisionForm(PlainTextFormMixin, forms.Form):
    """The reviewer's decision; a rejection or a request for changes says why."""

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect, choices=Decision.choices
    )
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Required when you reject or request changes; the author sees it."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("decision") in {Decision.REJECT, Decision.REQUEST_CHANGES}
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", _("Give the author a reason."))
        return data

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community, Organization, User
from accounts.selectors import user_list_approvers

from . import selectors
from .base import TaskNode
from .registry import registered_flows


class ReassignForm(PlainTextFormMixin, forms.Form):
    to_user = forms.ModelChoiceField(label=_("Give it to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = user_list_approvers().filter(is_active=True)


class InboxFilterForm(forms.Form):
    """The inbox's filters, read from the URL (a GET form) so that a filtered list can be
    bookmarked and shared."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    process = forms.ChoiceField(label=_("Process"), required=False)
    task = forms.ChoiceField(label=_("Task"), required=False)
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), required=False
    )
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False
    )
    holder = forms.ChoiceField(
        label=_("Held by"),
        required=False,
        choices=[
            ("", _("Anyone or nobody")),
            (selectors.HOLDER_ME, _("Me")),
            (selectors.HOLDER_OTHERS, _("A colleague")),
            (selectors.HOLDER_NOBODY, _("Nobody (unclaimed)")),
        ],
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any time")),
            (selectors.DUE_OVERDUE, _("Overdue")),
            (selectors.DUE_THIS_WEEK, _("By the end of this week")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flows = registered_flows()
        anything = [("", _("All"))]
        self.fields["process"].choices = anything + [(f.url_prefix, f.process_title) for f in flows]
        self.fields["task"].choices = anything + [
            (f"{f.url_prefix}.{node.name}", f"{f.process_title}: {node.task_title}")
            for f in flows
            for node in f.instance.nodes()
            if isinstance(node, TaskNode)
        ]
        self.fields["organization"].queryset = Organization.objects.order_by("name")
        self.fields["community"].queryset = Community.objects.order_by("name")
        for name in ("organization", "community"):
            self.fields[name].empty_label = _("All")

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments; nothing filtered when the URL is not valid."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "process": data["process"],
            "task": data["task"],
            "organization": data["organization"],
            "community": data["community"],
            "holder": data["holder"],
            "text": data["q"],
            "due": data["due"],
        }

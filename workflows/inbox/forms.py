from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import User
from accounts.selectors import user_list_approvers


class ReassignForm(PlainTextFormMixin, forms.Form):
    to_user = forms.ModelChoiceField(label=_("Give it to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = user_list_approvers().filter(is_active=True)

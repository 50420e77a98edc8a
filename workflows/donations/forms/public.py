"""The search of the public list of donation projects."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import SEARCH_MAX_LENGTH


class ProjectSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Words of a project's title or purpose, or an organization's name."),
    )

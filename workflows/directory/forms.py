from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community, Organization
from accounts.validators import SEARCH_MAX_LENGTH


class CommunityFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH)

    def filters(self) -> dict[str, Any]:
        """The filters that could be read; an unreadable one is left out (and marked)."""
        data = self.cleaned_data if self.is_bound else {}
        return {"search": (data.get("q") or "").strip()}


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *Organization.Kind.choices],
    )
    community = forms.ModelChoiceField(
        label=_("Community served"),
        required=False,
        queryset=Community.objects.order_by("name"),
        empty_label=_("All communities"),
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound else {}
        community = data.get("community")
        return {
            "search": (data.get("q") or "").strip(),
            "kind": data.get("kind") or "",
            "community_id": community.pk if community else None,
        }


class CommunityPageForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Community
        fields = ["description", "area", "address", "contact"]
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}


class OrganizationProfileForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["description", "service_area", "public_contact", "communities_served"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "communities_served": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["communities_served"].queryset = Community.objects.order_by("name")

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

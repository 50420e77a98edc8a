from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import PlainTextFormMixin
from accounts.models import Community

from .models import Announcement

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class AnnouncementForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["title", "body", "audience", "community", "pinned", "publish_at", "expires_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12}),
            "audience": forms.RadioSelect,
            "publish_at": DATETIME_WIDGET,
            "expires_at": DATETIME_WIDGET,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.order_by("name")
        for name in ("publish_at", "expires_at"):
            self.fields[name].input_formats = DATETIME_FORMATS

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        audience, community = data.get("audience"), data.get("community")
        if audience == Announcement.Audience.COMMUNITY and community is None:
            self.add_error("community", _("Choose the community this announcement is for."))
        elif audience and audience != Announcement.Audience.COMMUNITY:
            data["community"] = None
        publish_at, expires_at = data.get("publish_at"), data.get("expires_at")
        if expires_at is not None:
            if publish_at is not None and expires_at <= publish_at:
                self.add_error("expires_at", _("The expiry must come after the publication."))
            elif expires_at <= timezone.now():
                self.add_error("expires_at", _("The expiry must be in the future."))
        return data

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

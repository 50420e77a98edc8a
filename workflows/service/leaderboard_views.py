"""The 爱心榜 leaderboard: credit hours of the people who chose to be shown, for everyone signed
in, this month / this year / all time, city-wide or in one community."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import selectors
from .selectors import LeaderboardPeriod


class LeaderboardFilterForm(forms.Form):
    """Which board: a period (this month when none is named) and a community (the whole city
    when none is named). The communities are given, so that validating costs no query."""

    period = forms.ChoiceField(
        label=pgettext_lazy("leaderboard", "Period"),
        choices=LeaderboardPeriod.choices,
        required=False,
    )
    community = forms.TypedChoiceField(
        label=_("Community"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, data: Any, *, communities: list) -> None:
        super().__init__(data)
        self.fields["community"].choices = [
            ("", _("The whole city")),
            *((community.pk, community.name) for community in communities),
        ]


def leaderboard(request: HttpRequest) -> HttpResponse:
    communities = list(selectors.leaderboard_communities())
    form = LeaderboardFilterForm(request.GET, communities=communities)
    valid = form.is_valid()
    period = (valid and form.cleaned_data["period"]) or LeaderboardPeriod.MONTH
    community_id = form.cleaned_data["community"] if valid else None
    board = (
        selectors.leaderboard_get(period=period, community_id=community_id, viewer=request.user)
        if valid
        else None
    )
    scope = {} if community_id is None else {"community": community_id}
    tabs = [
        {
            "label": label,
            "query": urlencode({"period": value, **scope}),
            "current": valid and value == period,
        }
        for value, label in LeaderboardPeriod.choices
    ]
    return render(
        request,
        "service/leaderboard.html",
        {
            "board": board,
            "tabs": tabs,
            "period": period,
            "communities": communities,
            "community_id": community_id,
            "size": selectors.LEADERBOARD_SIZE,
        },
        status=200 if valid else 400,
    )

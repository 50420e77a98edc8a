"""Announcements (公告) and who has read them.

    draft → published → archived

Approvers and superusers write them; each is meant for everyone, for the people of one
community (its confirmed residents and its managers) or for the members of aid
organizations, and is read between its publication time and its expiry. The body is
Markdown, rendered to a small safe subset of HTML (`render_markdown`).
"""

import markdown
import nh3
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Community
from accounts.validators import LONG_TEXT_VALIDATORS, validate_plain_text

from . import permissions

# What a rendered body may hold: text structure and links, nothing that loads or runs.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
        "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(source: str) -> SafeString:
    """`source` as HTML a page may show as it is: raw HTML in the source is shown as text
    (the Markdown parser's HTML passes are off), and the result is sanitized again with an
    allow-list (no images, scripts, styles, event attributes or `javascript:` links; links
    get rel="noopener nofollow")."""
    parser = markdown.Markdown(extensions=[], output_format="html")
    parser.preprocessors.deregister("html_block")
    parser.inlinePatterns.deregister("html")
    html = parser.convert(source or "")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 with the allow-list above


def _may_publish(instance: "Announcement", user) -> bool:
    return permissions.can_publish(instance, user)


def _may_archive(instance: "Announcement", user) -> bool:
    return permissions.can_archive(instance, user)


class Announcement(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        COMMUNITY = "community", _("One community")
        ORGANIZATIONS = "organizations", _("Aid organizations (all their members)")

    title = models.CharField(_("title"), max_length=200, validators=[validate_plain_text])
    body = models.TextField(
        _("text"),
        validators=LONG_TEXT_VALIDATORS,
        help_text=_(
            "Markdown: **bold**, *italic*, lists, headings and links. HTML and images are "
            "not shown."
        ),
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="announcements",
        help_text=_("Only for the audience “One community”."),
    )
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Pinned announcements are shown first.")
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("Leave empty to show it as soon as it is published."),
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Leave empty to keep showing it.")
    )
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=20
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-pinned", "-publish_at", "-pk"]
        permissions = [("publish_announcement", _("Can write and publish announcements"))]
        indexes = [models.Index(fields=["status", "audience", "publish_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(publish_at__isnull=True)
                | Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publication",
            ),
            models.CheckConstraint(
                condition=Q(audience="community", community__isnull=False)
                | (~Q(audience="community") & Q(community__isnull=True)),
                name="announcement_community_iff_community_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("announcements:detail", args=[self.pk])

    @cached_property
    def body_html(self) -> SafeString:
        return render_markdown(self.body)

    @transition(field=status, source=Status.DRAFT, target=Status.PUBLISHED, permission=_may_publish)
    def publish(self, *, by, now) -> None:
        self.published_by = by
        self.published_at = now
        if self.publish_at is None:
            self.publish_at = now

    @transition(
        field=status, source=Status.PUBLISHED, target=Status.ARCHIVED, permission=_may_archive
    )
    def archive(self, *, now) -> None:
        self.archived_at = now


class AnnouncementRead(models.Model):
    """`user` opened `announcement` (once per person; what the unread count leaves out)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    announcement = models.ForeignKey(
        Announcement,
        verbose_name=_("announcement"),
        on_delete=models.CASCADE,
        related_name="reads",
    )
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement read")
        verbose_name_plural = _("announcements read")
        constraints = [
            models.UniqueConstraint(fields=["user", "announcement"], name="announcement_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.announcement_id}"

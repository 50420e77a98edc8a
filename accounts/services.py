"""Writes to accounts: parties, memberships and the groups that carry their rights."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm

import audit.services as audit

from . import outbox, permissions, selectors
from .backends import forget_permissions
from .emails import send_notification_digest
from .models import (
    Absence,
    Community,
    CommunityMembership,
    Notification,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
    Residency,
    User,
)
from .roles import (
    ROLE_APPROVER,
    ROLE_USER,
    approver_leads_group,
    approvers_group,
    escalation_group,
    role_permissions,
)
from .states import expect_state
from .tasks import OVERDUE_AFTER, send_notification_emails

Role = OrganizationMembership.Role

COMMUNITY_MANAGER_PERMISSIONS = (
    "accounts.view_community",
    "accounts.change_community",
    "accounts.manage_community",
)


@transaction.atomic
def organization_create(*, actor: User | None, **fields: Any) -> Organization:
    """Create an organization with one group per role holding that role's object permissions."""
    organization = Organization.objects.create(**fields)
    for role, perms in role_permissions().items():
        group = Group.objects.create(name=f"organization-{organization.pk}-{role}")
        OrganizationRoleGroup.objects.create(organization=organization, role=role, group=group)
        for perm in perms:
            assign_perm(perm, group, organization)
    audit.record(
        action="organization.created",
        actor=actor,
        target=organization,
        to_state=organization.status,
    )
    return organization


@transaction.atomic
def organization_member_add(
    *, organization: Organization, user: User, role: str, actor: User | None
) -> OrganizationMembership:
    membership, created = OrganizationMembership.objects.get_or_create(
        organization=organization, user=user, role=role
    )
    group = OrganizationRoleGroup.objects.get(organization=organization, role=role).group
    user.groups.add(group)
    forget_permissions(user)
    if created:
        audit.record(
            action="organization.member_added",
            actor=actor,
            target=organization,
            payload={"user_id": user.pk, "username": user.username, "role": role},
        )
    return membership


@transaction.atomic
def organization_member_remove(
    *, organization: Organization, user: User, role: str, actor: User | None
) -> None:
    deleted, _ = OrganizationMembership.objects.filter(
        organization=organization, user=user, role=role
    ).delete()
    group = OrganizationRoleGroup.objects.get(organization=organization, role=role).group
    user.groups.remove(group)
    forget_permissions(user)
    if deleted:
        audit.record(
            action="organization.member_removed",
            actor=actor,
            target=organization,
            payload={"user_id": user.pk, "username": user.username, "role": role},
        )


def _organization_transition(
    *,
    organization_id: int,
    actor: User,
    expected_status: str | None,
    transition: str,
    action: str,
    notice: tuple[Any, Any],
    **payload: Any,
) -> Organization:
    """Suspend or reinstate: lock, the stale-page guard, the approver's right, the FSM
    transition, the audit event on the organization and the notice to its admins."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    expect_state(organization, expected_status)
    if not permissions.can_suspend_organization(organization, actor):
        raise PermissionDenied
    source = organization.status
    getattr(organization, transition)()
    organization.save()
    audit.record(
        action=action,
        actor=actor,
        target=organization,
        from_state=source,
        to_state=organization.status,
        payload=payload,
    )
    subject, body = notice
    admins = selectors.organization_members(organization=organization, roles=(Role.ADMIN,))
    for admin in admins:
        notify(
            recipient=admin,
            subject=subject,
            body=body,
            params={"name": organization.name, **payload},
            # The organization has no page of its own: its members' work starts here.
            url=reverse("overview"),
        )
    return organization


@transaction.atomic
def organization_suspend(
    *, organization_id: int, actor: User, reason: str, expected_status: str | None = None
) -> Organization:
    """An approver suspends an active organization: it cannot start new work until it is
    reinstated. `expected_status` is the state the approver's page showed."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the suspension.")})
    return _organization_transition(
        organization_id=organization_id,
        actor=actor,
        expected_status=expected_status,
        transition="suspend",
        action="organization.suspended",
        notice=(
            _("Organization suspended: %(name)s"),
            _("Your organization was suspended. Reason: %(reason)s"),
        ),
        reason=reason,
    )


@transaction.atomic
def organization_reinstate(
    *, organization_id: int, actor: User, expected_status: str | None = None
) -> Organization:
    return _organization_transition(
        organization_id=organization_id,
        actor=actor,
        expected_status=expected_status,
        transition="reinstate",
        action="organization.reinstated",
        notice=(_("Organization reinstated: %(name)s"), _("Your organization is active again.")),
    )


@transaction.atomic
def community_create(*, actor: User | None, **fields: Any) -> Community:
    community = Community.objects.create(**fields)
    group = Group.objects.create(name=f"community-{community.pk}-managers")
    community.managers_group = group
    community.save(update_fields=["managers_group"])
    for perm in COMMUNITY_MANAGER_PERMISSIONS:
        assign_perm(perm, group, community)
    audit.record(action="community.created", actor=actor, target=community)
    return community


@transaction.atomic
def community_manager_add(
    *, community: Community, user: User, actor: User | None
) -> CommunityMembership:
    membership, created = CommunityMembership.objects.get_or_create(community=community, user=user)
    user.groups.add(community.managers_group)
    forget_permissions(user)
    if created:
        audit.record(
            action="community.manager_added",
            actor=actor,
            target=community,
            payload={"user_id": user.pk, "username": user.username},
        )
    return membership


@transaction.atomic
def approver_grant(*, user: User, actor: User | None) -> User:
    """Make `user` a platform approver. Idempotent: an approver stays one, with no new event.

    `actor` is a superuser, or None for an operator at the command line.
    """
    return _approver_role_set(user=user, actor=actor, approver=True)


@transaction.atomic
def approver_revoke(*, user: User, actor: User | None) -> User:
    """Take the approver role from `user`. Idempotent like `approver_grant`. A superuser keeps
    every right, the approvers' included."""
    return _approver_role_set(user=user, actor=actor, approver=False)


def _approver_role_set(*, user: User, actor: User | None, approver: bool) -> User:
    _lock_for_role_change(user=user, actor=actor)
    return _role_group_set(
        user=user,
        actor=actor,
        group=approvers_group(),
        member=approver,
        action="approver.granted" if approver else "approver.revoked",
        states=(ROLE_USER, ROLE_APPROVER) if approver else (ROLE_APPROVER, ROLE_USER),
    )


def _lock_for_role_change(*, user: User, actor: User | None) -> None:
    """Only a superuser changes roles (None: the system, a command); two changes of one
    person's roles queue on their row, so each sees the other's outcome."""
    if actor is not None and not (actor.is_active and actor.is_superuser):
        raise PermissionDenied
    User.objects.select_for_update().filter(pk=user.pk).get()


def _role_group_set(
    *,
    user: User,
    actor: User | None,
    group: Group,
    member: bool,
    action: str,
    states: tuple[str, str] = ("", ""),
) -> User:
    """Put `user` in `group` or take them out, audited as `action`; nothing when they already
    are where they should be."""
    if user.groups.filter(pk=group.pk).exists() == member:
        return user
    if member:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    forget_permissions(user)
    audit.record(
        action=action,
        actor=actor,
        target=user,
        from_state=states[0],
        to_state=states[1],
        payload={"username": user.username},
    )
    return user


@transaction.atomic
def approver_lead_set(*, user: User, actor: User | None, lead: bool) -> User:
    """Add `user` to the approver leads (who reassign approver tasks), or take them out.
    Only an approver leads. Idempotent like `approver_grant`; `actor` as there."""
    _lock_for_role_change(user=user, actor=actor)
    if lead and not selectors.user_is_approver(user):
        raise ValidationError(_("Only an approver can lead the approvers."))
    return _role_group_set(
        user=user,
        actor=actor,
        group=approver_leads_group(),
        member=lead,
        action="approver.lead_granted" if lead else "approver.lead_revoked",
    )


@transaction.atomic
def escalation_member_set(*, user: User, actor: User | None, member: bool) -> User:
    """Put `user` in the escalation group (unclaimed tasks that stay overdue are offered to
    it), or take them out. Idempotent like `approver_grant`; `actor` as there."""
    _lock_for_role_change(user=user, actor=actor)
    return _role_group_set(
        user=user,
        actor=actor,
        group=escalation_group(),
        member=member,
        action="escalation.member_added" if member else "escalation.member_removed",
    )


def notify(
    *,
    recipient: User,
    subject: Any,
    body: Any,
    params: dict[str, Any] | None = None,
    url: str = "",
) -> Notification:
    """Notify one person in the app and by email (sent after commit).

    `subject` and `body` are lazy translations formatted with `params` in the recipient's
    preferred language, not the language of whoever triggered the notification.
    """
    (notification,) = notify_all(
        recipients=[recipient], subject=subject, body=body, params=params, url=url
    )
    return notification


def notify_all(
    *,
    recipients: Iterable[User],
    subject: Any,
    body: Any,
    params: dict[str, Any] | None = None,
    url: str = "",
) -> list[Notification]:
    """`notify` each of `recipients` (each in their own language), in one insert. Only those
    who chose an email for each notification are emailed now; the daily digest
    (`notification_digests_send`) covers those who chose it, and nobody else is emailed."""
    return notify_many(
        notices=[
            {
                "recipients": recipients,
                "subject": subject,
                "body": body,
                "params": params,
                "url": url,
            }
        ]
    )


def notify_many(*, notices: Iterable[dict[str, Any]]) -> list[Notification]:
    """Several `notify_all`s (each notice: its keyword arguments) in one insert: for jobs that
    tell hundreds of people about hundreds of things in one transaction."""
    notifications = []
    for notice in notices:
        params = notice.get("params") or {}
        subject, body = notice["subject"], notice["body"]
        for recipient in notice["recipients"]:
            with translation.override(recipient.preferred_language):
                notifications.append(
                    Notification(
                        recipient=recipient,
                        subject=(str(subject) % params)[:200],
                        body=str(body) % params,
                        url=notice.get("url", ""),
                    )
                )
    if not notifications:
        return []
    created = Notification.objects.bulk_create(notifications)
    for notification in created:
        recipient = notification.recipient
        if recipient.email and recipient.notification_email == User.NotificationEmail.EACH:
            _email_after_commit(notification)
    return created


class _PendingEmails:
    """The notifications to email that one transaction created inside the same savepoints,
    with what each email says: handed to the outbox's dispatcher when it commits (sent at once
    when tasks run eagerly)."""

    __slots__ = ("messages",)

    def __init__(self) -> None:
        self.messages: list[list] = []

    def __call__(self) -> None:
        outbox.hand_over(self.messages)


def _email_after_commit(notification: Notification) -> None:
    # One batch per set of open savepoints, added to while its hook is still pending: Django
    # drops the on-commit hooks of a savepoint that rolls back, so a rolled-back notification
    # leaves with its batch and is never emailed; one created after that joins the batch of
    # the savepoints it is in (a new one if none is pending).
    connection = transaction.get_connection()
    savepoints = tuple(sid for sid in connection.savepoint_ids if sid)
    pending = {id(hook) for _sids, hook, *_ in connection.run_on_commit}
    batches = {
        key: batch
        for key, batch in getattr(connection, "accord_pending_emails", {}).items()
        if id(batch) in pending
    }
    connection.accord_pending_emails = batches
    recipient = notification.recipient
    message = [
        notification.pk,
        notification.subject,
        notification.body,
        notification.url,
        recipient.email,
        recipient.preferred_language,
        notification.created_at.timestamp(),
    ]
    if savepoints in batches:
        batches[savepoints].messages.append(message)
        return
    batch = batches[savepoints] = _PendingEmails()
    batch.messages.append(message)
    transaction.on_commit(batch)  # outside a transaction: sent at once


@transaction.atomic
def notification_mark_read(*, notification_id: int, user: User) -> Notification:
    notification = Notification.objects.select_for_update().get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read; return how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


OVERDUE_WITHIN = datetime.timedelta(days=1)


def notification_digests_send() -> int:
    """Email each person who chose the daily digest one message listing their notifications not
    emailed yet, in their language; return how many messages were sent.

    Idempotent: the notifications listed are marked `emailed_at` in the transaction that sent
    them, so a second run (or a second beat process) finds nothing to send. Each person is
    their own transaction, so a mail failure for one leaves the others sent and marked."""
    recipient_ids = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            recipient__notification_email=User.NotificationEmail.DIGEST,
        )
        .exclude(recipient__email="")
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    return sum(_digest_send(recipient_id=pk) for pk in list(recipient_ids))


def notification_emails_overdue_send(
    *, older_than: datetime.timedelta = OVERDUE_AFTER, within: datetime.timedelta = OVERDUE_WITHIN
) -> int:
    """Queue the emails of notifications that their web process could not hand to the broker
    (it was down, or the process ended before its dispatcher's window did): those of people who
    chose an email for each notification, not emailed yet, created between `within` and
    `older_than` ago (a younger one may still be on its way; an older one has been tried for a
    day). One task per `outbox.CHUNK`; each task reads what is still unsent, so a notification
    emailed meanwhile is not emailed twice. Returns how many notifications were queued."""
    now = timezone.now()
    overdue = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=now - older_than,
            created_at__gte=now - within,
            recipient__notification_email=User.NotificationEmail.EACH,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(overdue), outbox.CHUNK):
        send_notification_emails.delay(overdue[start : start + outbox.CHUNK])
    return len(overdue)


@transaction.atomic
def _digest_send(*, recipient_id: int) -> int:
    # The rows stay locked while the message goes out: a concurrent run skips them rather
    # than sending them twice; a failed send rolls the marks back for the next run.
    pending = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(recipient_id=recipient_id, emailed_at__isnull=True)
        .order_by("created_at", "pk")
    )
    recipient = User.objects.get(pk=recipient_id)
    if not pending or recipient.notification_email != User.NotificationEmail.DIGEST:
        return 0
    if not recipient.email:
        return 0
    send_notification_digest(recipient=recipient, notifications=pending)
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return 1


@transaction.atomic
def user_sign_up(*, form: Any) -> User:
    """Create an account from a validated sign-up form."""
    user = form.save()
    audit.record(action="auth.signed_up", actor=user, target=user)
    return user


@transaction.atomic
def user_profile_update(
    *,
    user_id: int,
    actor: User,
    display_name: str,
    email: str,
    phone: str,
    preferred_language: str,
    notification_email: str = User.NotificationEmail.EACH,
    leaderboard_opt_in: bool | None = None,
) -> User:
    """A person changes their own name, email, phone number, language, how notifications
    reach them by email and whether the leaderboard shows them (None leaves that choice as it
    is); the audit row names the fields that changed (their new values stay on the account)."""
    user = User.objects.select_for_update().get(pk=user_id)
    if not permissions.can_edit_profile(user, actor):
        raise PermissionDenied
    email = email.strip().lower()
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": _("An account with this email already exists.")})
    new = {
        "display_name": display_name.strip(),
        "email": email,
        "phone": phone.strip(),
        "preferred_language": preferred_language,
        "notification_email": notification_email,
    }
    if leaderboard_opt_in is not None:
        new["leaderboard_opt_in"] = leaderboard_opt_in
    changed = sorted(name for name, value in new.items() if getattr(user, name) != value)
    for name, value in new.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password", "username"])
    if changed:
        user.save(update_fields=changed)
        audit.record(
            action="profile.updated", actor=actor, target=user, payload={"fields": changed}
        )
    return user


@transaction.atomic
def user_password_reset(*, form: Any, commit: bool = True) -> User:
    """Set the password a person chose through an emailed reset link."""
    user = form.user
    user.set_password(form.cleaned_data["new_password1"])
    if commit:
        user.save(update_fields=["password"])
        audit.record(action="auth.password_reset", actor=user, target=user)
    return user


@transaction.atomic
def absence_create(
    *,
    user: User,
    delegate: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    actor: User,
) -> Absence:
    """Record that `user` is away from `starts_on` to `ends_on` (both included) and that
    `delegate`, who holds the same rights, takes their tasks meanwhile."""
    if not permissions.can_manage_absences(user, actor):
        raise PermissionDenied
    # Two absences of one person being set at once queue here, so each sees the other.
    User.objects.select_for_update().filter(pk=user.pk).get()
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day cannot be before the first day.")})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("This absence would already be over.")})
    if not selectors.delegate_candidates(user=user).filter(pk=delegate.pk).exists():
        raise ValidationError({"delegate": _("Choose someone who holds the same rights as you.")})
    overlapping = Absence.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise ValidationError(_("You are already away during part of this period."))
    absence = Absence.objects.create(
        user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on
    )
    audit.record(
        action="absence.created",
        actor=actor,
        target=user,
        payload={
            "absence_id": absence.pk,
            "delegate_id": delegate.pk,
            "delegate": str(delegate),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    notify(
        recipient=delegate,
        subject=_("You stand in for %(name)s"),
        body=_(
            "%(name)s is away from %(start)s to %(end)s and named you to take their tasks. "
            'They are under "On behalf of others" in your inbox.'
        ),
        params={"name": str(user), "start": starts_on.isoformat(), "end": ends_on.isoformat()},
        url="/inbox/?tab=delegated",
    )
    return absence


@transaction.atomic
def absence_cancel(*, absence_id: int, actor: User) -> None:
    """Cancel an absence (the person is back, or is not leaving after all)."""
    absence = Absence.objects.select_for_update().select_related("user").get(pk=absence_id)
    if not permissions.can_manage_absences(absence.user, actor):
        raise PermissionDenied
    audit.record(
        action="absence.cancelled",
        actor=actor,
        target=absence.user,
        payload={
            "absence_id": absence.pk,
            "delegate_id": absence.delegate_id,
            "starts_on": absence.starts_on.isoformat(),
            "ends_on": absence.ends_on.isoformat(),
        },
    )
    absence.delete()


# --- public pages: a community's and an organization's (workflows.directory) ----------------

COMMUNITY_PAGE_FIELDS = ("description", "contact", "area", "address")
ORGANIZATION_PROFILE_FIELDS = (
    "description",
    "service_area",
    "public_contact",
    "communities_served",
)


def _update_fields(instance: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Set the plain `fields` that differ on `instance` (only `allowed` ones), validate, and
    answer the names that changed (sorted)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    changed = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    # Only the fields set here: clean_fields() writes back every field it checks, which a
    # protected FSM field (an organization's status) refuses.
    others = [field.name for field in instance._meta.concrete_fields if field.name not in fields]
    instance.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
    return sorted(changed)


@transaction.atomic
def community_update(*, community_id: int, actor: User, **fields: Any) -> Community:
    """A manager of the community changes its public page (description, contact, area,
    address); the audit row names the fields that changed."""
    community = Community.objects.select_for_update().get(pk=community_id)
    if not permissions.is_community_manager(community, actor):
        raise PermissionDenied
    changed = _update_fields(community, fields, COMMUNITY_PAGE_FIELDS)
    if changed:
        community.save(update_fields=changed)
        audit.record(
            action="community.updated", actor=actor, target=community, payload={"fields": changed}
        )
    return community


@transaction.atomic
def organization_profile_update(
    *, organization_id: int, actor: User, **fields: Any
) -> Organization:
    """An admin of the organization changes its public profile in the directory (description,
    service area, public contact, communities served); audited with the changed fields."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    if not permissions.is_org_admin(organization, actor):
        raise PermissionDenied
    served = fields.pop("communities_served", None)
    changed = _update_fields(organization, fields, ORGANIZATION_PROFILE_FIELDS)
    if changed:
        organization.save(update_fields=changed)
    if served is not None:
        new_ids = {community.pk for community in served}
        if set(organization.communities_served.values_list("pk", flat=True)) != new_ids:
            organization.communities_served.set(new_ids)
            changed = sorted([*changed, "communities_served"])
    if changed:
        audit.record(
            action="organization.profile_updated",
            actor=actor,
            target=organization,
            payload={"fields": changed},
        )
    return organization


# --- residency: the community a resident lives in ----------------------------------------------


@transaction.atomic
def residency_choose(*, user: User, community: Community) -> Residency:
    """A person says which community they live in; its managers are told and one of them
    confirms it. Choosing another community starts over (pending); choosing the same one
    changes nothing."""
    User.objects.select_for_update().filter(pk=user.pk).get()
    residency = Residency.objects.select_for_update().filter(user=user).first()
    if residency is not None and residency.community_id == community.pk:
        return residency
    previous = residency.community_id if residency is not None else None
    if residency is None:
        residency = Residency(user=user)
    residency.community = community
    residency.status = Residency.Status.PENDING
    residency.decided_by = None
    residency.decided_at = None
    residency.save()
    audit.record(
        action="residency.chosen",
        actor=user,
        target=community,
        to_state=residency.status,
        payload={"user_id": user.pk, "previous_community_id": previous},
    )
    notify_all(
        recipients=selectors.community_managers(community=community),
        subject=_("A resident waits for confirmation: %(name)s"),
        body=_("%(person)s says they live in %(name)s. Confirm or remove them."),
        params={"name": community.name, "person": str(user)},
        url=reverse("directory:residents", args=[community.pk]),
    )
    return residency


def _residency_for_manager(*, residency_id: int, actor: User) -> Residency:
    residency = (
        Residency.objects.select_for_update()
        .select_related("community", "user")
        .get(pk=residency_id)
    )
    if not permissions.is_community_manager(residency.community, actor):
        raise PermissionDenied
    return residency


@transaction.atomic
def residency_confirm(*, residency_id: int, actor: User) -> Residency:
    """A manager of the community confirms that the person lives there; they are told."""
    residency = _residency_for_manager(residency_id=residency_id, actor=actor)
    if residency.status == Residency.Status.CONFIRMED:
        raise ValidationError(_("This residency is already confirmed."))
    source = residency.status
    residency.status = Residency.Status.CONFIRMED
    residency.decided_by = actor
    residency.decided_at = timezone.now()
    residency.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        action="residency.confirmed",
        actor=actor,
        target=residency.community,
        from_state=source,
        to_state=residency.status,
        payload={"user_id": residency.user_id},
    )
    notify(
        recipient=residency.user,
        subject=_("Your community confirmed you: %(name)s"),
        body=_("%(name)s confirmed that you live in the community."),
        params={"name": residency.community.name},
        url=reverse("accounts:profile"),
    )
    return residency


@transaction.atomic
def residency_remove(*, residency_id: int, actor: User) -> None:
    """A manager of the community removes a person from its residents (pending or confirmed);
    they are told and may choose again."""
    residency = _residency_for_manager(residency_id=residency_id, actor=actor)
    audit.record(
        action="residency.removed",
        actor=actor,
        target=residency.community,
        from_state=residency.status,
        payload={"user_id": residency.user_id},
    )
    notify(
        recipient=residency.user,
        subject=_("Removed from a community: %(name)s"),
        body=_(
            "A manager of %(name)s removed you from the community's residents. If you live "
            "there, choose it again on your profile."
        ),
        params={"name": residency.community.name},
        url=reverse("accounts:profile"),
    )
    residency.delete()

"""A signer confirms with their password: the check, its confirmation, and the lock after
too many wrong passwords in a row (kept in the database, seen by every worker process)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from audit.context import current_request

from ..models import SignerPasswordLock, SigningIdentity
from .refusals import SignatureRefusedError, _refuse

# How long a confirmed password stands in for the password itself: one request's work.
CONFIRMATION_LIFETIME = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class PasswordConfirmation:
    """`user_id` typed their password at `confirmed_at`: what `signer_password_check` returns.

    `document_sign` accepts it in place of the password, for the same person and only shortly
    after, so that a page which checks the password up front (to keep a refusal on record)
    does not hash it a second time inside the signing transaction.
    """

    user_id: int
    confirmed_at: dt.datetime

    def confirms(self, user) -> bool:
        age = timezone.now() - self.confirmed_at
        return self.user_id == user.pk and dt.timedelta(0) <= age <= CONFIRMATION_LIFETIME


def signer_password_check(
    *,
    user,
    password: str,
    target=None,
    identity: SigningIdentity | None = None,
    request: HttpRequest | None = None,
) -> PasswordConfirmation:
    """Refuse unless `password` is `user`'s: SignatureRefusedError on the `password` field and
    a `signature.refused` event. Call it before opening the transaction that signs: an event
    written inside a transaction that then rolls back is lost with it. Returns the
    confirmation, which `document_sign` takes in place of the password.

    ACCORD_SIGNING_FAILURE_LIMIT wrong passwords in a row lock signing for the person for
    ACCORD_SIGNING_LOCK_MINUTES (a `signature.locked` event); while locked, the password is
    not even checked. Each wrong password also counts as a failed login for django-axes.
    """
    _attempt_begin(user=user, identity=identity, target=target)
    if password and user.check_password(password):
        SignerPasswordLock.objects.filter(user_id=user.pk).update(failures=0, locked_until=None)
        return PasswordConfirmation(user_id=user.pk, confirmed_at=timezone.now())
    with transaction.atomic():
        lock = SignerPasswordLock.objects.select_for_update().get(user_id=user.pk)
        if lock.failures >= settings.ACCORD_SIGNING_FAILURE_LIMIT:
            error = _lock(lock, identity=identity, target=target, why="wrong_password")
        else:
            error = _wrong_password(user=user, identity=identity, target=target)
    _count_as_failed_login(user, request or current_request.get())
    raise error


def _attempt_begin(*, user, identity, target) -> None:
    """Count the attempt before the password is hashed, so that parallel guesses cannot
    outrun the limit; refuse (committed, audited) while signing is locked."""
    # The common case, one statement: not locked and under the limit, so count it.
    counted = SignerPasswordLock.objects.filter(
        user_id=user.pk,
        locked_until__isnull=True,
        failures__lt=settings.ACCORD_SIGNING_FAILURE_LIMIT,
    ).update(failures=F("failures") + 1)
    if counted:
        return
    now = timezone.now()
    with transaction.atomic():
        lock, _created = SignerPasswordLock.objects.select_for_update().get_or_create(
            user_id=user.pk
        )
        if lock.locked_until is not None and lock.locked_until <= now:
            lock.failures, lock.locked_until = 0, None  # the lock has run out: start afresh
        if lock.locked_until is not None:
            error = _refuse(
                message=_locked_message(lock.locked_until),
                code="locked",
                identity=identity,
                user=user,
                target=target,
                field="password",
            )
        elif lock.failures >= settings.ACCORD_SIGNING_FAILURE_LIMIT:
            error = _lock(lock, identity=identity, target=target, why="locked")
        else:
            lock.failures += 1
            lock.save(update_fields=["failures", "locked_until"])
            return
    raise error


def _lock(lock: SignerPasswordLock, *, identity, target, why: str) -> SignatureRefusedError:
    lock.locked_until = timezone.now() + dt.timedelta(minutes=settings.ACCORD_SIGNING_LOCK_MINUTES)
    lock.save(update_fields=["failures", "locked_until"])
    audit.record(
        action="signature.locked",
        actor=lock.user,
        target=lock.user,
        payload={"failures": lock.failures, "until": lock.locked_until},
    )
    return _refuse(
        message=_locked_message(lock.locked_until),
        code=why,
        identity=identity,
        user=lock.user,
        target=target,
        field="password",
    )


def _locked_message(until: dt.datetime) -> str:
    return _("Too many wrong passwords in a row: you cannot sign until %(time)s.") % {
        "time": f"{timezone.localtime(until):%Y-%m-%d %H:%M}"
    }


def _count_as_failed_login(user, request: HttpRequest | None) -> None:
    """A wrong signing password is a wrong password: let django-axes count it against the
    person's login too."""
    if request is None:
        return
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    # Axes would swap the sign page for its login lock-out page; the person is logged in,
    # and the sign page says why they cannot sign. The lock-out itself stays on record and
    # refuses their next login.
    request.axes_locked_out = False


def _wrong_password(*, user, identity, target) -> SignatureRefusedError:
    return _refuse(
        message=_("The password is not correct: the document was not signed."),
        code="wrong_password",
        identity=identity,
        user=user,
        target=target,
        field="password",
    )

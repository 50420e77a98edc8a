"""A signature that was not made: the error pages show, and the audit event it leaves."""

from django.core.exceptions import ValidationError

import audit.services as audit


class SignatureRefusedError(ValidationError):
    """Nothing was signed: a wrong password, or an identity that may not sign any more.

    `reason` says which (`wrong_password`, `revoked`, …). A wrong password is reported on the
    `password` field, so a form with that field shows it there.
    """

    def __init__(self, message, code=None, params=None, *, reason=None, field=None):
        # (message, code, params) as in ValidationError, so that pickling round-trips.
        self.reason = reason or code or "refused"
        if field:
            message = {field: [ValidationError(message, code=self.reason)]}
        super().__init__(message, code=self.reason, params=params)


def _refuse(
    *, message, code: str, identity, user, target=None, field: str | None = None
) -> SignatureRefusedError:
    payload = {"why": code}
    if identity is not None:
        payload.update(identity=identity.pk, serial=identity.serial)
    audit.record(
        action="signature.refused",
        actor=user,
        target=target if target is not None else identity,
        payload=payload,
    )
    return SignatureRefusedError(message, reason=code, field=field)

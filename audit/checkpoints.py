"""Who checks a checkpoint's signature. `audit` imports no other app, so the app that signs
checkpoints (`signing`) registers its check here when it is ready."""

from collections.abc import Callable

from .models import AuditCheckpoint

# Takes a checkpoint; returns "" when its signature holds, else why not.
SignatureCheck = Callable[[AuditCheckpoint], str]

_signature_checks: list[SignatureCheck] = []


def register_signature_check(check: SignatureCheck) -> None:
    if check not in _signature_checks:
        _signature_checks.append(check)


def signature_checks() -> tuple[SignatureCheck, ...]:
    return tuple(_signature_checks)

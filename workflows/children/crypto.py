"""Encryption at rest of the most sensitive fields of a child's record (identity number,
health notes): Fernet with a key derived (HKDF, SHA-256) from ACCORD_FIELD_ENCRYPTION_KEY.

Changing the setting makes the stored values unreadable: `decrypt` then answers "" rather than
failing the page, and says nothing of the value in any message.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Binds the derived key to this use, so that the same setting could key another purpose
# without the two ever sharing a key.
_HKDF_INFO = b"accord.children.field-encryption.v1"


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    """The ciphertext of `value` (text, for a TextField); "" stays "" (nothing to hide)."""
    if not value:
        return ""
    token = _fernet(settings.ACCORD_FIELD_ENCRYPTION_KEY).encrypt(value.encode("utf-8"))
    return token.decode("ascii")


def decrypt(token: str) -> str:
    """The clear text of `token`; "" for none and for a token this key cannot open."""
    if not token:
        return ""
    try:
        clear = _fernet(settings.ACCORD_FIELD_ENCRYPTION_KEY).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return ""
    return clear.decode("utf-8")


def mask(last_four: str) -> str:
    """What a list shows of an identity number: a fixed run of stars and its last four
    characters (the length of the number is not shown either)."""
    return f"{'*' * 14}{last_four}" if last_four else ""

"""AES-256-GCM envelope encryption (``cryptography``).

Each subject has its own 256-bit data key (DEK). The record is encrypted with
the DEK; the DEK is wrapped by the cell's key-encryption key (KEK). Destroying
the wrapped DEK makes every copy of the record unreadable (crypto-shredding).
Associated data binds each ciphertext to its cell, subject and purpose, so a
ciphertext moved to another row or cell fails to decrypt.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domicile.core.errors import DecryptionError

NONCE_BYTES = 12
KEY_BYTES = 32


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return os.urandom(KEY_BYTES)


def seal(key: bytes | AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate; returns ``nonce || ciphertext+tag``."""
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes | AESGCM, sealed: bytes, aad: bytes, what: str) -> bytes:
    """Inverse of :func:`seal`; raises DecryptionError naming *what* (never its content)."""
    if len(sealed) < NONCE_BYTES + 16:
        raise DecryptionError(f"{what}: ciphertext is truncated")
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError(f"{what}: authentication failed (wrong key or altered data)") from None

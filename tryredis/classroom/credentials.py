"""Credentials: random codes and secrets, and their scrypt hashes.

Every credential (a teacher's password, sign-in link and API token, a student's
rejoin code) is stored only as ``scrypt$<n>$<r>$<p>$<salt>$<hash>``. Hashing
runs in a thread: scrypt takes tens of milliseconds, which the event loop
must not spend.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

# Join and rejoin codes avoid look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
JOIN_CODE_LENGTH = 6
REJOIN_CODE_LENGTH = 6

# OWASP's minimum for scrypt: N=2^14 (16 MiB), r=8, p=1.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def new_code(length: int = JOIN_CODE_LENGTH) -> str:
    """A random code from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normal_code(text: str) -> str:
    """A typed code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def new_secret() -> str:
    """A random secret for links and tokens (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    """The stored form of a credential (blocking: call ``hash_async`` from a coroutine)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (blocking)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def hash_async(secret: str) -> str:
    """``hash_secret`` in a worker thread."""
    return await asyncio.to_thread(hash_secret, secret)


async def check_async(secret: str, stored: str | None) -> bool:
    """``check_secret`` in a worker thread; False when nothing is stored."""
    if not stored:
        return False
    return await asyncio.to_thread(check_secret, secret, stored)

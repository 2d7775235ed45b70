"""Learner ids, and the signed tokens and cookies that carry them.

A learner id is 26 characters of ``[a-z0-9]`` (128 random bits in base32),
made here and never taken from a request unsigned. The API's bearer token, the
browser's cookie and the CSRF token are the id with an HMAC under different
purposes, so none of them can be used as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

LEARNER_ID = re.compile(r"[a-z0-9]{26}")
VERIFIED_MAX = 10_000
"""Verified values a Signer remembers (about 1.5 MB at most)."""


def new_learner_id() -> str:
    """A fresh random learner id (128 bits)."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


class Signer:
    """Signs and verifies learner ids for one purpose each: ``token``, ``cookie``, ``csrf``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        # Values that verified, so a learner's every request does not pay an HMAC again.
        # Only genuine values get in (a forged one is checked every time), and the secret
        # never changes while the process runs, so a remembered answer stays right.
        self._verified: dict[tuple[str, str], str] = {}

    def _mac(self, purpose: str, learner_id: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{learner_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:24]).decode()

    def sign(self, purpose: str, learner_id: str) -> str:
        """``<id>.<mac>`` for this purpose."""
        return f"{learner_id}.{self._mac(purpose, learner_id)}"

    def unsign(self, purpose: str, value: str | None) -> str | None:
        """The learner id inside a signed value, or None when it is malformed or forged."""
        if not value:
            return None
        known = self._verified.get((purpose, value))
        if known is not None:
            return known
        learner_id, _, mac = value.partition(".")
        if not LEARNER_ID.fullmatch(learner_id):
            return None
        # compare_digest raises on non-ASCII text (a header may carry any latin-1 byte).
        if not mac.isascii() or not hmac.compare_digest(mac, self._mac(purpose, learner_id)):
            return None
        if len(self._verified) >= VERIFIED_MAX:  # bounded: start again rather than grow
            self._verified.clear()
        self._verified[(purpose, value)] = learner_id
        return learner_id

    def csrf_token(self, learner_id: str) -> str:
        """The CSRF token the browser must echo in ``X-CSRF-Token``."""
        return self._mac("csrf", learner_id)

    def check_csrf(self, learner_id: str, token: str | None) -> bool:
        """Whether ``token`` is this learner's CSRF token."""
        return (
            token is not None
            and token.isascii()
            and hmac.compare_digest(token, self.csrf_token(learner_id))
        )

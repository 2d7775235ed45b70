"""Signed learner ids: each purpose its own, forgeries refused, remembered answers still right."""

from __future__ import annotations

import secrets

from hypothesis import given
from hypothesis import strategies as st

from tryredis.identity import VERIFIED_MAX, Signer, new_learner_id


def test_a_verified_value_is_remembered_for_its_own_purpose_only() -> None:
    signer = Signer(secrets.token_bytes(32))
    learner = new_learner_id()
    token = signer.sign("token", learner)
    assert signer.unsign("token", token) == learner
    assert signer.unsign("token", token) == learner  # from memory now
    assert signer.unsign("cookie", token) is None  # a token is not a cookie, remembered or not
    assert Signer(secrets.token_bytes(32)).unsign("token", token) is None  # another secret


@given(mac=st.text(max_size=40))
def test_a_forged_value_is_refused_after_the_genuine_one_was_remembered(mac: str) -> None:
    signer = Signer(b"k" * 32)
    learner = "a" * 26
    genuine = signer.sign("token", learner)
    assert signer.unsign("token", genuine) == learner
    forged = f"{learner}.{mac}"
    if forged != genuine:
        assert signer.unsign("token", forged) is None


def test_what_is_remembered_stays_bounded() -> None:
    signer = Signer(secrets.token_bytes(32))
    tokens = [signer.sign("token", new_learner_id()) for _ in range(VERIFIED_MAX + 10)]
    assert all(signer.unsign("token", token) for token in tokens)
    assert len(signer._verified) <= VERIFIED_MAX


@given(value=st.text(max_size=60))
def test_any_text_is_a_value_or_refused_never_an_error(value: str) -> None:
    # Headers arrive as latin-1 text: a cookie of "<id>.é" once made compare_digest raise (500).
    signer = Signer(b"k" * 32)
    assert signer.unsign("cookie", value) is None
    assert signer.unsign("cookie", f"{'a' * 26}.{value}") is None
    assert not signer.check_csrf("a" * 26, value)

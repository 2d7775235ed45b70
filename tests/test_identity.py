"""Signed learner ids: forgeries refused, whatever text they are."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tryredis.identity import Signer


@given(value=st.text(max_size=60))
def test_any_text_is_a_value_or_refused_never_an_error(value: str) -> None:
    # Headers arrive as latin-1 text: a cookie of "<id>.é" once made compare_digest raise (500).
    signer = Signer(b"k" * 32)
    assert signer.unsign("cookie", value) is None
    assert signer.unsign("cookie", f"{'a' * 26}.{value}") is None
    assert not signer.check_csrf("a" * 26, value)

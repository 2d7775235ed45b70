"""Numbers parsed exactly as Redis 7.0 parses them, so limits see what Redis will see.

A limit checked with a looser or stricter parser than Redis's can be bypassed
(``SETRANGE k " 5" x`` parsed by Python's ``int`` but rejected by Redis is
harmless; the reverse would not be), so these mirror Redis's C helpers:

* ``redis_int``: ``string2ll`` (``getLongLongFromObject``): an optional ``-``, no
  ``+``, no blanks, no leading zeros, 64-bit range.
* ``redis_float``: ``string2ld`` (``getLongDoubleFromObject``): C ``strtold``
  must consume the whole argument; hex floats and ``inf`` are accepted, ``nan``,
  blanks, NUL bytes and overflow are not.
* ``timeout_seconds``: ``getTimeoutFromObjectOrReply`` for both units.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

__all__ = ["redis_float", "redis_int", "timeout_seconds"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INT = re.compile(rb"-?[1-9][0-9]*|0")
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?[0-9]+))?")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)
_LONG_DOUBLE_MAX = Decimal("1.18973149535723176502e4932")
_LONG_DOUBLE_TINY = Decimal("3.6e-4951")  # below the smallest x87 denormal: strtold gives 0
_MAX_CHARS = 5 * 1024  # MAX_LONG_DOUBLE_CHARS


def redis_int(raw: bytes) -> int | None:
    """The value of ``raw`` as Redis's ``string2ll`` reads it, or None if Redis rejects it."""
    if len(raw) > 20 or not _INT.fullmatch(raw):
        return None
    value = int(raw)
    return value if INT64_MIN <= value <= INT64_MAX else None


def redis_float(raw: bytes) -> Fraction | float | None:
    """The value of ``raw`` as Redis's ``string2ld`` reads it (exact), or None if rejected."""
    if not raw or len(raw) >= _MAX_CHARS:
        return None
    # strtold must consume the whole argument (a NUL byte would end it early).
    text = raw
    if _INFINITY.fullmatch(text):
        return float("-inf") if text.startswith(b"-") else float("inf")
    if _DECIMAL.fullmatch(text):
        try:
            value = Decimal(text.decode())
        except InvalidOperation:  # pragma: no cover - the pattern only admits numbers
            return None
        if abs(value) > _LONG_DOUBLE_MAX or (value and abs(value) < _LONG_DOUBLE_TINY):
            return None  # ERANGE: strtold returns HUGE_VAL or 0 and Redis rejects it
        return Fraction(value)
    hexa = _HEX.fullmatch(text)
    if hexa and (hexa[2] or hexa[3]):
        sign, whole, frac, exponent = hexa.groups()
        mantissa = int((whole + frac).decode() or "0", 16)
        power = int(exponent or b"0") - 4 * len(frac)
        if mantissa and abs(power + mantissa.bit_length()) > 16400:
            return None  # far outside the long double range either way
        value_hex = Fraction(mantissa) * Fraction(2) ** power
        return -value_hex if sign == b"-" else value_hex
    return None


def timeout_seconds(raw: bytes, unit: Literal["s", "ms"]) -> float | None:
    """A blocking timeout as Redis reads it: seconds (0 = forever), or None if Redis rejects it.

    ``s`` is BLPOP's float seconds, ``ms`` is XREAD BLOCK's integer milliseconds.
    Redis converts seconds with ``(long long)(value * 1000)``: it truncates
    (``-0.0001`` is 0, "block forever"), and a value out of the 64-bit range
    (``inf``, ``1e16``) becomes negative and is refused ("timeout is negative").
    """
    if unit == "ms":
        millis = redis_int(raw)
    else:
        value = redis_float(raw)
        if value is None or value in (float("inf"), float("-inf")):
            return None
        scaled = Fraction(value) * 1000
        millis = int(scaled) if INT64_MIN < scaled < INT64_MAX else None
    if millis is None or millis < 0:
        return None
    return millis / 1000

"""What the ledger can store, checked where values enter (one rule for SQLite and PostgreSQL).

A tag name is 1 to 255 characters, a tag value 0 to 1024 (the ``call_tags`` columns);
neither may hold a NUL character (PostgreSQL text cannot) nor a lone UTF-16 surrogate (not
encodable as UTF-8). Token counts fit a signed 64-bit integer (``BIGINT``); money is finite
and below 10**20 USD (``NUMERIC(38, 18)``). SQLite alone would accept more: refusing it on
both keeps a ledger movable between the two and a row stored the same on each.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

__all__ = [
    "MAX_MONEY_USD",
    "MAX_TAG_NAME",
    "MAX_TAG_VALUE",
    "check_count",
    "check_money",
    "check_tags",
    "check_text",
]

MAX_TAG_NAME = 255
"""Longest tag name, in characters."""
MAX_TAG_VALUE = 1024
"""Longest tag value, in characters."""
MAX_INT64 = 2**63 - 1
MAX_MONEY_USD = Decimal(10) ** 20
"""Amounts must stay below this (PostgreSQL keeps money as NUMERIC(38, 18))."""


def _text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are stored"
    if "\x00" in value:
        return "contains a NUL character, which PostgreSQL cannot store"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"contains a lone surrogate ({value[e.start]!r}) that is not valid UTF-8"
    return None


def check_text(what: str, value: str, limit: int) -> None:
    """Raise ValueError naming `what` when `value` is longer than `limit` characters, holds a
    NUL or a lone surrogate."""
    problem = _text_problem(value, limit)
    if problem is not None:
        raise ValueError(f"{what} {problem}")


def check_tags(tags: Mapping[str, str], where: str = "") -> None:
    """Raise ValueError (TypeError for non-strings) naming the first tag that cannot be stored.

    Args:
        tags: tag names to values.
        where: prefix for the message, e.g. ``"session()"``.
    """
    pre = f"{where} " if where else ""
    for k, v in tags.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{pre}tags must map str to str, got {k!r}: {v!r}")
        if not k:
            raise ValueError(f"{pre}tag names must not be empty (value {v[:40]!r})")
        problem = _text_problem(k, MAX_TAG_NAME)
        if problem is not None:
            raise ValueError(f"{pre}tag {k[:40]!r}: its name {problem}")
        problem = _text_problem(v, MAX_TAG_VALUE)
        if problem is not None:
            raise ValueError(f"{pre}tag {k[:40]!r}: its value {problem}")


def check_count(what: str, value: object) -> None:
    """Raise ValueError when `value` (an int) does not fit a signed 64-bit column."""
    if isinstance(value, int) and not -MAX_INT64 - 1 <= value <= MAX_INT64:
        raise ValueError(f"{what} = {value} does not fit a signed 64-bit integer")


def check_money(what: str, value: Decimal) -> None:
    """Raise ValueError when `value` is not a finite amount below `MAX_MONEY_USD`."""
    if not isinstance(value, Decimal):
        raise ValueError(f"{what} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} = {value} is not a finite amount")
    if abs(value) >= MAX_MONEY_USD:
        raise ValueError(
            f"{what} = {value} is beyond the {MAX_MONEY_USD:.0e} USD the ledger stores"
        )

"""The rich console and number formatting used by every command."""

from __future__ import annotations

import functools
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["console", "err_console", "money", "rate_str"]


@functools.cache
def console() -> Console:
    """stdout console; wide when not a terminal so piped tables are not squeezed."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=200, no_color=True, highlight=False)


@functools.cache
def err_console() -> Console:
    """stderr console (progress bars, warnings)."""
    from rich.console import Console

    return Console(stderr=True)


def money(value: Decimal, places: int = 6) -> str:
    """``$0.006500``: USD with six decimals (more when a non-zero amount would round to 0)."""
    q = Decimal(1).scaleb(-places)
    if value and abs(value) < q:
        return f"${value.normalize():f}"
    return f"${value.quantize(q):,f}"


def rate_str(rate: Decimal) -> str:
    """A rate without trailing zeros beyond two decimals (``2.50``, ``0.075``, ``0.0625``)."""
    s = f"{rate.normalize():f}"
    if "." not in s:
        return s + ".00"
    whole, frac = s.split(".")
    return f"{whole}.{frac.ljust(2, '0')}"

"""The rich console and number formatting used by every command."""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING

from ..types import format_rate as rate_str
from ..types import format_usd as money

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["console", "err_console", "money", "rate_str"]


@functools.cache
def console() -> Console:
    """stdout console; when not a terminal, ``COLUMNS`` wide, else 200 so that piped tables are
    not squeezed."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    cols = os.environ.get("COLUMNS", "")
    width = int(cols) if cols.isdigit() and int(cols) > 0 else 200
    return Console(width=width, no_color=True, highlight=False)


@functools.cache
def err_console() -> Console:
    """stderr console (progress bars, warnings)."""
    from rich.console import Console

    return Console(stderr=True)

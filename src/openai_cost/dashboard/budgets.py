"""Budgets configured for the dashboard in a small TOML file (``--budgets FILE``).

```toml
[[budget]]
name = "search, monthly"
limit_usd = "250.00"
period = "month"            # day | month | total
mode = "warn"               # raise | warn (informational here)
tags = { project = "search" }
```
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..budget import Budget
from ..errors import ConfigError
from .data import NamedBudget

__all__ = ["load_budgets"]

_KEYS = {"name", "limit_usd", "period", "mode", "tags"}


def load_budgets(path: str | Path) -> list[NamedBudget]:
    """The ``[[budget]]`` entries of a TOML file.

    Raises:
        ConfigError: the file cannot be read or an entry is invalid (named with its index and
            field).
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    p = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read budgets file {p}: {err.strerror or err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{p}: not valid TOML: {err}") from err
    entries = data.get("budget", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{p}: 'budget' must be an array of tables ([[budget]])")
    out = []
    for i, entry in enumerate(entries, 1):
        e: Any = entry
        where = f"{p}: budget #{i}"
        if not isinstance(e, dict):
            raise ConfigError(f"{where}: expected a table")
        unknown = sorted(set(e) - _KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown field {unknown[0]!r}; valid: {', '.join(sorted(_KEYS))}"
            )
        if "limit_usd" not in e:
            raise ConfigError(f'{where}: missing limit_usd (a decimal string such as "25.00")')
        if isinstance(e["limit_usd"], float):
            raise ConfigError(f'{where}: limit_usd must be a string ("25.00"), not a float')
        tags = e.get("tags", {})
        if not isinstance(tags, dict):
            raise ConfigError(f'{where}: tags must be a table such as {{ project = "x" }}')
        try:
            Decimal(str(e["limit_usd"]))
        except InvalidOperation:
            raise ConfigError(f"{where}: limit_usd {e['limit_usd']!r} is not a decimal") from None
        try:
            b = Budget(
                Decimal(str(e["limit_usd"])),
                period=e.get("period", "month"),
                tags={str(k): str(v) for k, v in tags.items()},
                mode=e.get("mode", "warn"),
            )
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err
        out.append(NamedBudget(name=str(e.get("name", f"budget {i}")), budget=b, source=p.name))
    return out

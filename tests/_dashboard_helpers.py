"""A small ledger whose every dashboard figure is worked out by hand below.

Rates (openai-billing.md 3.1, as in `_ledger_helpers.PRICES_TOML`): gpt-4o input $2.50, cached
$1.25, output $10.00 per 1M tokens; gpt-4o-mini $0.15 / $0.075 / $0.60.

"Now" is 2026-11-20 12:00 UTC. The calls:

- A 11-02 gpt-4o chat.completions, 1000 in / 100 out, project=search user=alice:
  1000 x 2.50/1M + 100 x 10/1M = 0.0025 + 0.001 = $0.0035
- B 11-02 gpt-4o chat.completions, 2000 in of which 1000 cached / 200 out, project=search:
  1000 x 2.50/1M + 1000 x 1.25/1M + 200 x 10/1M = 0.0025 + 0.00125 + 0.002 = $0.00575
  (caching saved 1000 x (2.50 - 1.25)/1M = $0.00125)
- C 11-05 gpt-4o-mini responses, 10000 in / 1000 out, project=chat:
  10000 x 0.15/1M + 1000 x 0.60/1M = 0.0015 + 0.0006 = $0.0021
- D 11-05 gpt-4o-mini responses, 4000 in of which 2000 cached / 500 out, hostile tags:
  2000 x 0.15/1M + 2000 x 0.075/1M + 500 x 0.60/1M = 0.0003 + 0.00015 + 0.0003 = $0.00075
  (saved 2000 x (0.15 - 0.075)/1M = $0.00015)
- E 11-06 mystery-model, unpriced (1000 in / 100 out), project=search
- F 11-06 gpt-4o, status error (no usage, not billed), project=chat
- G 10-20 gpt-4o, 1000 in / 100 out: $0.0035, in the previous month
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from _ledger_helpers import rec
from openai_cost.ledger import Ledger

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

HOSTILE_PROJECT = "<script>alert(1)</script>"
HOSTILE_USER = 'O\'Brien "q" & <b>é中文🙂</b>' + "x" * 600

A, B, C, D = Decimal("0.0035"), Decimal("0.00575"), Decimal("0.0021"), Decimal("0.00075")
NOV_TOTAL = Decimal("0.0121")
assert A + B + C + D == NOV_TOTAL
OCT_TOTAL = Decimal("0.0035")
# month to date / 20 days of November so far (today counted whole), x 30 days
DAILY_RATE = Decimal("0.000605")
PROJECTED = Decimal("0.01815")
SAVED = Decimal("0.0014")  # 0.00125 + 0.00015
GPT4O = A + B  # 0.00925
MINI = C + D  # 0.00285


def _at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=timezone.utc)


def seed(url: str) -> None:
    """Write calls A..G to the ledger at `url`."""
    with Ledger(url) as ledger:
        for r in (
            rec("A", at=_at(2, 9), tags={"project": "search", "user": "alice"}),
            rec(
                "B",
                at=_at(2, 15),
                input_tokens=2000,
                cached=1000,
                output_tokens=200,
                tags={"project": "search"},
            ),
            rec(
                "C",
                at=_at(5, 10),
                model="gpt-4o-mini",
                input_tokens=10000,
                output_tokens=1000,
                endpoint="responses",
                tags={"project": "chat"},
            ),
            rec(
                "D",
                at=_at(5, 11),
                model="gpt-4o-mini",
                input_tokens=4000,
                cached=2000,
                output_tokens=500,
                endpoint="responses",
                tags={"project": HOSTILE_PROJECT, "user": HOSTILE_USER},
            ),
            rec("E", at=_at(6, 8), model="mystery-model", priced=False, tags={"project": "search"}),
            rec("F", at=_at(6, 9), status="error", tags={"project": "chat"}),
            rec("G", at=_at(20, 10, month=10)),
        ):
            assert ledger.record(r)

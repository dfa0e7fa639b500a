"""Compare our bundled prices with genai-prices' and litellm's: ``make audit-prices``.

Run it in an environment that has openai-cost, genai-prices and litellm installed (the make
target builds ``.venv-audit`` for that). Exit status: 0 when every disagreement is explained,
1 when one is not, 2 on a usage or data error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from price_audit.audit import as_json, load_explanations, run_audit
from price_audit.peers import (
    genai_prices_data,
    installed_genai_prices,
    installed_litellm,
    litellm_data,
)
from price_audit.report import render

from openai_cost import Catalog

EXPLAINED = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "openai_cost"
    / "data"
    / "prices"
    / "audit"
    / "explained.toml"
)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the audit, print it; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="audit_prices",
        description="Compare openai-cost's bundled prices with genai-prices and litellm.",
    )
    parser.add_argument(
        "--at", metavar="DATE", help="compare the prices in force on DATE (default: today, UTC)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the report")
    parser.add_argument(
        "--explained",
        metavar="PATH",
        type=Path,
        help="the explanations file (default: the one next to the bundled prices)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also list the peers' keys not compared"
    )
    parser.add_argument(
        "--ours",
        metavar="FILE",
        type=Path,
        help="audit this price file instead of the bundled data (e.g. a candidate openai.toml)",
    )
    parser.add_argument(
        "--genai-prices",
        metavar="FILE",
        type=Path,
        help="genai-prices' data.json instead of the installed package's data",
    )
    parser.add_argument(
        "--litellm",
        metavar="FILE",
        type=Path,
        help="litellm's model_prices_and_context_window.json instead of the installed copy",
    )
    args = parser.parse_args(argv)
    today = datetime.now(timezone.utc).date()
    try:
        day = date.fromisoformat(args.at) if args.at else today
    except ValueError:
        parser.error(f"--at: invalid date {args.at!r}; expected YYYY-MM-DD")
    try:
        if args.explained is not None:
            explanations = load_explanations(args.explained)
        else:
            explanations = load_explanations(EXPLAINED) if EXPLAINED.exists() else []
    except (OSError, ValueError) as e:
        print(f"audit_prices: {e}", file=sys.stderr)
        return 2
    try:
        peers = [
            genai_prices_data(_json(args.genai_prices), "file " + args.genai_prices.name)
            if args.genai_prices
            else installed_genai_prices(),
            litellm_data(_json(args.litellm), "file " + args.litellm.name)
            if args.litellm
            else installed_litellm(),
        ]
        ours = Catalog([args.ours]) if args.ours else Catalog.bundled()
    except (OSError, ValueError, ImportError) as e:
        print(f"audit_prices: {e}", file=sys.stderr)
        return 2
    audit = run_audit(ours, peers, day, today=today, explanations=explanations)
    if args.json:
        print(json.dumps(as_json(audit), indent=2))
    else:
        print(render(audit, verbose=args.verbose), end="")
    return 1 if audit.failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Audit openai-cost's price data against other price sources (genai-prices, litellm).

Not part of the installed package: ``make audit-prices`` installs the newest peers into a
throwaway environment and runs ``tools/audit_prices.py``. The pieces:

* `peers`: read each peer's bundled data into `Cell` -> rate, in our units;
* `audit`: map names, compare at a date, apply the explanations file;
* `report`: the text report.
"""

from __future__ import annotations

from .audit import Audit, Disagreement, Explanation, as_json, load_explanations, run_audit
from .peers import Cell, PeerData, PeerModel, cell_name, genai_prices_data, litellm_data
from .report import render

__all__ = [
    "Audit",
    "Cell",
    "Disagreement",
    "Explanation",
    "PeerData",
    "PeerModel",
    "as_json",
    "cell_name",
    "genai_prices_data",
    "litellm_data",
    "load_explanations",
    "render",
    "run_audit",
]

"""Compare our catalog with the peers' prices, cell by cell, at one date.

Our side is what we would *bill*: every rate comes from the pricing module's own rate lookup,
so Batch's 50% rule, the long-context tables and the fallbacks (a cached token on a model with
no cached rate bills at the input rate) are compared exactly as `cost_of` applies them. A rate we
only reach through a fallback is marked as such in the report.

Names are mapped the way each peer maps them: for each of our models (its id, then its
aliases) and each dated alias of ours, we ask the peer which of its models it would price that
name with (genai-prices: the first model whose clauses match; litellm: the exact key).

The unit of every count is one (model, cell, peer) triple, the unit of the explanations file.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openai_cost import Catalog
from openai_cost.errors import PricingError
from openai_cost.pricing import _rater
from openai_cost.types import FEE_DIMENSIONS, TOKEN_DIMENSIONS, ModelPrice

from .peers import Cell, PeerData, PeerModel, cell_name

__all__ = [
    "Audit",
    "Disagreement",
    "Explanation",
    "OurRate",
    "family",
    "load_explanations",
    "our_rates",
    "run_audit",
]

_TIERS = ("standard", "batch", "flex", "priority")


@dataclass(frozen=True)
class OurRate:
    """A rate we bill, and how we got it when it is not a listed figure."""

    value: Decimal
    """Per 1M tokens, or per unit for fees."""
    derived: str | None = None
    """None for a figure in the data; else the rule that produced it."""


@dataclass(frozen=True)
class Explanation:
    """One judged disagreement: (model, dimension, peer) and why we keep our figure."""

    model: str
    dimension: str
    peer: str
    reason: str
    ours: Decimal | None = None
    """When set, the entry only covers this figure of ours."""
    theirs: Decimal | None = None
    """When set, the entry only covers this figure of the peer's."""
    where: str = ""
    """File and entry, for messages."""

    def covers(self, model: str, dimension: str, peer: str, ours: Decimal, theirs: Decimal) -> bool:
        """True when this entry explains that disagreement."""
        return (
            self.model == model
            and self.dimension == dimension
            and self.peer == peer
            and (self.ours is None or self.ours == ours)
            and (self.theirs is None or self.theirs == theirs)
        )


@dataclass
class Disagreement:
    """Our rate and the peers' differing ones for one cell of one model."""

    model: str
    cell: Cell
    ours: OurRate
    peers: dict[str, Decimal] = field(default_factory=dict)
    """Peer -> its figure, for the peers that disagree."""
    agree: list[str] = field(default_factory=list)
    """Peers that state the same figure as ours."""
    explained: dict[str, str] = field(default_factory=dict)
    """Peer -> reason, for the judged ones."""

    @property
    def dimension(self) -> str:
        """The cell as written in reports: ``lc.batch.input``."""
        return cell_name(self.cell)

    def unexplained(self) -> list[str]:
        """Peers whose figure is not yet explained."""
        return [p for p in self.peers if p not in self.explained]

    def weight(self) -> float:
        """How much the difference matters: size of the gap, where it bills, how many agree."""
        gap = 0.0
        for v in self.peers.values():
            if v == 0 or self.ours.value == 0:
                gap = max(gap, 5.0)
            else:
                gap = max(gap, abs(math.log(float(v / self.ours.value))))
        tier = {"standard": 1.0, "priority": 0.8, "batch": 0.7, "flex": 0.5}.get(
            self.cell.tier, 0.4
        )
        dim = self.cell.dimension
        kind = 1.0 if dim in ("input", "output") else 0.6 if dim in TOKEN_DIMENSIONS else 0.4
        lc = 0.6 if self.cell.long_context else 1.0
        return gap * tier * kind * lc * len(self.peers)


@dataclass
class Audit:
    """Everything one run found."""

    day: date
    peers: dict[str, str]
    """Peer -> version."""
    today: date | None = None
    """The day the audit ran; explanations are only stale when unused on it."""
    compared: dict[str, int] = field(default_factory=dict)
    """Peer -> (model, cell) pairs compared with it."""
    agreed: dict[str, int] = field(default_factory=dict)
    """Peer -> pairs where it states our figure."""
    disagreements: list[Disagreement] = field(default_factory=list)
    """Most consequential first."""
    lacking: dict[str, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    """Our model -> cell name -> peer -> figure, for cells a peer prices and we do not."""
    priced_as: dict[str, dict[str, str]] = field(default_factory=dict)
    """Our name -> peer -> the peer's model id, where the peer prices our name under another
    id (a shared family entry, a prefix rule)."""
    unresolved: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Family -> peer -> the peer's names we do not resolve; "(assumed)" after a name we only
    resolve through a fallback the catalog warns about (a new dated snapshot)."""
    unknown_to_peers: list[str] = field(default_factory=list)
    """Our model ids no peer prices."""
    stale: list[Explanation] = field(default_factory=list)
    """Explanations that match no current disagreement."""
    skipped_undated: dict[str, int] = field(default_factory=dict)
    """Peer -> models not compared because the peer has no dates and our price changed since."""
    ignored_keys: dict[str, dict[str, int]] = field(default_factory=dict)
    """Peer -> its keys we do not compare, with counts."""

    def triples(self, *, explained: bool | None = None) -> int:
        """Disagreeing (model, cell, peer) triples; only the (un)explained ones if asked."""
        n = 0
        for d in self.disagreements:
            for p in d.peers:
                if explained is None or (p in d.explained) == explained:
                    n += 1
        return n

    def lacking_triples(self) -> int:
        """(model, cell, peer) triples a peer prices and we do not."""
        return sum(len(peers) for cells in self.lacking.values() for peers in cells.values())

    @property
    def failed(self) -> bool:
        """True when a disagreement is not yet explained."""
        return any(d.unexplained() for d in self.disagreements)


# --------------------------------------------------------------------------- our side


def our_rates(mp: ModelPrice) -> dict[Cell, OurRate]:
    """Every rate we would bill for the resolved price entry ``mp``, by cell."""
    period = mp.period
    out: dict[Cell, OurRate] = {}
    fees = {k: v for k, v in period.standard.items() if k in FEE_DIMENSIONS}
    for tier in _TIERS:
        for lc in (False, True) if period.long_context is not None else (False,):
            tname = "default" if tier in ("standard", "batch") else tier
            try:
                rater = _rater(mp, period, tname, tier == "batch", lc)
            except PricingError:
                continue  # no such tier: a peer that prices it shows up as "we lack"
            for dim in TOKEN_DIMENSIONS:
                try:
                    value, note = rater.rate(dim)
                except PricingError:
                    continue
                derived = "; ".join(n for n in (note, rater.note) if n) or None
                out[Cell(tier, lc, dim)] = OurRate(value, derived)
            for dim, value in fees.items():
                plain = tier == "standard" and not lc
                out[Cell(tier, lc, dim)] = OurRate(
                    value, None if plain else "fees do not change with the tier"
                )
    for key, value in period.per_image.items():
        out[Cell("standard", False, f"per_image.{key}")] = OurRate(value)
    if period.long_context is not None:
        threshold = Decimal(period.long_context.threshold)
        out[Cell("standard", False, "long_context_threshold")] = OurRate(threshold)
    return out


@dataclass(frozen=True)
class _Subject:
    name: str  # what the report calls it: an entry id, or a dated alias name
    lookup: tuple[str, ...]  # names a peer is asked about, in order
    floating: bool  # a dated alias: only compared when a peer maps it elsewhere


def _subjects(cat: Catalog, day: date) -> list[_Subject]:
    out = [
        _Subject(e.id, (e.id, *e.aliases), False)
        for e in cat.entries()
        if e.period_at(day) is not None
    ]
    for name in cat.alias_names():
        if any(since <= day for since, _ in cat.alias_targets(name)):
            out.append(_Subject(name, (name,), True))
    return out


def _cell_order(name: str) -> tuple[bool, int, str]:
    """Sort key of a cell name: short context first, then standard, batch, flex, priority."""
    parts = name.split(".")
    lc = parts[0] == "lc"
    if lc:
        parts = parts[1:]
    tier = parts[0] if len(parts) > 1 and not parts[0].startswith("per_image") else "standard"
    order = {"standard": 0, "batch": 1, "flex": 2, "priority": 3}.get(tier, 4)
    return (lc, order, name)


def _find(peer: PeerData, names: Iterable[str]) -> PeerModel | None:
    for n in names:
        found = peer.find(n)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- names

_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def family(name: str) -> str:
    """A model family for grouping: ``gpt-6.2-sol-2026-11-17`` -> ``gpt-6.2``."""
    base = _DATED.sub("", name.lower().removeprefix("openai/"))
    parts = base.split("-")
    if (
        parts[0] in ("gpt", "ft:gpt", "text", "chatgpt", "omni", "codex", "computer")
        and len(parts) > 1
    ):
        return "-".join(parts[:2])
    return parts[0]


def _known(cat: Catalog, name: str, day: date, today: date) -> str | None:
    """How our catalog resolves ``name`` on ``day`` or (a model released later) today.

    Returns "yes", "assumed" (only through a fallback the catalog warns about, such as an
    unknown dated snapshot priced as its model), or None.
    """
    import warnings

    for when in (day, today):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                cat.resolve(name, when)
            except PricingError:  # unknown, or known but not priced yet on that date
                continue
        return "assumed" if caught else "yes"
    return None


# --------------------------------------------------------------------------- explanations


def load_explanations(path: Path) -> list[Explanation]:
    """Read the explanations file (``[[explained]]`` tables).

    Raises:
        ValueError: a malformed entry; the message names the file, the entry and the field.
    """
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10 only
        import tomli as tomllib

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    extra = set(data) - {"explained"}
    if extra:
        raise ValueError(f"{path}: unknown section(s) {sorted(extra)}; expected [[explained]]")
    out: list[Explanation] = []
    seen: dict[tuple[str, str, str, Any, Any], str] = {}
    for n, raw in enumerate(data.get("explained", [])):
        where = f"{path}: explained[{n}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a table")
        allowed = {"model", "dimension", "peer", "reason", "ours", "theirs"}
        if set(raw) - allowed:
            raise ValueError(
                f"{where}: unknown field(s) {sorted(set(raw) - allowed)}; allowed: "
                + ", ".join(sorted(allowed))
            )
        for key in ("model", "dimension", "peer", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ValueError(f"{where}: missing field {key!r}")
        figures: dict[str, Decimal | None] = {}
        for key in ("ours", "theirs"):
            value = raw.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f'{where}: {key} must be a decimal string like "2.50"')
            figures[key] = Decimal(value) if value is not None else None
        e = Explanation(
            model=raw["model"],
            dimension=raw["dimension"],
            peer=raw["peer"],
            reason=" ".join(raw["reason"].split()),
            ours=figures["ours"],
            theirs=figures["theirs"],
            where=f"{where} ({raw['model']} {raw['dimension']} {raw['peer']})",
        )
        key5 = (e.model, e.dimension, e.peer, e.ours, e.theirs)
        if key5 in seen:
            raise ValueError(f"{where}: same entry as {seen[key5]}")
        seen[key5] = where
        out.append(e)
    return out


# --------------------------------------------------------------------------- the audit


def run_audit(
    cat: Catalog,
    peers: Sequence[PeerData],
    day: date,
    *,
    today: date,
    explanations: Sequence[Explanation] = (),
) -> Audit:
    """Compare ``cat`` with every peer at ``day``.

    Args:
        cat: our catalog (the bundled data, for the real audit).
        peers: the peers' data.
        day: the date whose prices are compared.
        today: today's date; an undated peer (litellm) states today's prices, so at an earlier
            ``day`` it is only compared where our price has not changed since.
        explanations: judged disagreements (`load_explanations`).
    """
    audit = Audit(day, {p.peer: p.version for p in peers}, today)
    rows: dict[tuple[str, Cell], Disagreement] = {}
    lacking: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    matched: dict[str, set[int]] = {p.peer: set() for p in peers}
    known_by_any: set[str] = set()
    subjects = _subjects(cat, day)
    by_entry: dict[str, dict[str, PeerModel | None]] = {}
    for s in subjects:
        mp = cat.resolve(s.name, day)
        ours = our_rates(mp)
        for peer in peers:
            pm = _find(peer, s.lookup)
            if pm is None:
                continue
            if s.floating:
                # a dated alias only adds something when the peer prices it apart from its target
                if by_entry.get(mp.model, {}).get(peer.peer) is pm:
                    continue
            else:
                by_entry.setdefault(s.name, {})[peer.peer] = pm
                known_by_any.add(s.name)
            matched[peer.peer].add(id(pm))
            if pm.id.lower() != s.name.lower():
                audit.priced_as.setdefault(s.name, {})[peer.peer] = pm.id
            if not pm.dated and day != today:
                now = cat.resolve(s.name, today)
                if now.model != mp.model or now.period.since != mp.period.since:
                    audit.skipped_undated[peer.peer] = audit.skipped_undated.get(peer.peer, 0) + 1
                    continue
            for cell, theirs in sorted(pm.rates_at(day).items()):
                mine = ours.get(cell)
                if mine is None:
                    if theirs != 0:  # a peer's explicit zero (embedding output) says nothing
                        lacking[s.name][cell_name(cell)][peer.peer] = theirs
                    continue
                audit.compared[peer.peer] = audit.compared.get(peer.peer, 0) + 1
                key = (s.name, cell)
                if theirs == mine.value:
                    audit.agreed[peer.peer] = audit.agreed.get(peer.peer, 0) + 1
                    if key in rows:
                        rows[key].agree.append(peer.peer)
                    continue
                row = rows.get(key)
                if row is None:
                    row = rows[key] = Disagreement(s.name, cell, mine)
                row.peers[peer.peer] = theirs
    # peers that stated our figure before the row existed
    for (name, cell), row in rows.items():
        for peer in peers:
            if peer.peer in row.peers or peer.peer in row.agree:
                continue
            pm = _find(peer, next(s.lookup for s in subjects if s.name == name))
            if pm is not None and pm.rates_at(day).get(cell) == row.ours.value:
                row.agree.append(peer.peer)
    used: set[int] = set()
    for row in rows.values():
        for p, theirs in row.peers.items():
            for i, e in enumerate(explanations):
                if e.covers(row.model, row.dimension, p, row.ours.value, theirs):
                    row.explained[p] = e.reason
                    used.add(i)
                    break
    audit.stale = [e for i, e in enumerate(explanations) if i not in used]
    # unexplained first; models by their heaviest row, then each model's rows by weight
    heaviest: dict[tuple[bool, str], float] = {}
    for d in rows.values():
        k = (not d.unexplained(), d.model)
        heaviest[k] = max(heaviest.get(k, 0.0), d.weight())
    audit.disagreements = sorted(
        rows.values(),
        key=lambda d: (
            not d.unexplained(),
            -heaviest[(not d.unexplained(), d.model)],
            d.model,
            -d.weight(),
            d.cell,
        ),
    )
    audit.lacking = {
        m: dict(sorted(c.items(), key=lambda kv: _cell_order(kv[0])))
        for m, c in sorted(lacking.items())
    }
    unresolved: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for peer in peers:
        for pm in peer.models:
            if id(pm) in matched[peer.peer]:
                continue
            names = pm.names or (pm.id.lower(),)
            known = [_known(cat, n, day, today) for n in names]
            if "yes" in known:
                continue
            label = pm.id if "assumed" not in known else f"{pm.id} (assumed)"
            unresolved[family(pm.id)][peer.peer].append(label)
    audit.unresolved = {f: dict(p) for f, p in sorted(unresolved.items())}
    audit.unknown_to_peers = sorted(
        s.name for s in subjects if not s.floating and s.name not in known_by_any
    )
    audit.ignored_keys = {p.peer: dict(sorted(p.ignored_keys.items())) for p in peers}
    return audit


def as_json(audit: Audit) -> dict[str, Any]:
    """The audit as plain JSON values (figures as decimal strings)."""

    def num(d: Decimal) -> str:
        return _fmt(d)

    return {
        "date": audit.day.isoformat(),
        "today": audit.today.isoformat() if audit.today else None,
        "peers": audit.peers,
        "summary": summary(audit),
        "disagreements": [
            {
                "model": d.model,
                "dimension": d.dimension,
                "ours": num(d.ours.value),
                "ours_derived": d.ours.derived,
                "peers": {
                    p: {
                        "rate": num(v),
                        "ratio": _ratio(v, d.ours.value),
                        "explained": d.explained.get(p),
                    }
                    for p, v in d.peers.items()
                },
                "agree": d.agree,
                "priced_as": audit.priced_as.get(d.model, {}),
            }
            for d in audit.disagreements
        ],
        "lacking": {
            m: {c: {p: num(v) for p, v in peers.items()} for c, peers in cells.items()}
            for m, cells in audit.lacking.items()
        },
        "priced_as": audit.priced_as,
        "unresolved": audit.unresolved,
        "unknown_to_peers": audit.unknown_to_peers,
        "stale": [
            {
                "model": e.model,
                "dimension": e.dimension,
                "peer": e.peer,
                "reason": e.reason,
                "where": e.where,
            }
            for e in audit.stale
        ],
        "skipped_undated": audit.skipped_undated,
        "ignored_keys": audit.ignored_keys,
    }


def summary(audit: Audit) -> dict[str, Any]:
    """The figures a run ends with."""
    return {
        "compared": sum(audit.compared.values()),
        "compared_by_peer": dict(audit.compared),
        "agreed": sum(audit.agreed.values()),
        "disagreements": audit.triples(),
        "explained": audit.triples(explained=True),
        "unexplained": audit.triples(explained=False),
        "disagreeing_cells": len(audit.disagreements),
        "lacking": audit.lacking_triples(),
        "lacking_models": len(audit.lacking),
        "unresolved_models": sum(len(v) for f in audit.unresolved.values() for v in f.values()),
        "unknown_to_peers": len(audit.unknown_to_peers),
        "stale": len(audit.stale),
    }


def _ratio(theirs: Decimal, ours: Decimal) -> str | None:
    if ours == 0:
        return None
    return f"{theirs / ours:.3f}".rstrip("0").rstrip(".") if theirs else "0"


def _fmt(d: Decimal) -> str:
    """A rate as people write it: 2.50, 0.0625, 272000."""
    if d == d.to_integral_value() and abs(d) >= 1000:
        return str(int(d))
    s = format(d.normalize(), "f")
    if "." not in s:
        return s + ".00"
    whole, frac = s.split(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def fmt_rate(d: Decimal) -> str:
    """Public alias of the rate formatter for the report."""
    return _fmt(d)


def ratio_text(theirs: Decimal, ours: Decimal) -> str:
    """``x0.80``; ``x-`` when ours is zero."""
    r = _ratio(theirs, ours)
    return "x-" if r is None else f"x{r}"


def explained_of(rows: Iterable[Disagreement]) -> Mapping[str, int]:
    """Explained triples per peer."""
    out: dict[str, int] = {}
    for d in rows:
        for p in d.explained:
            out[p] = out.get(p, 0) + 1
    return out

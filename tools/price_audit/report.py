"""The audit as text for an 80-column terminal, most consequential first."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from .audit import Audit, Disagreement, fmt_rate, ratio_text, summary

__all__ = ["render"]

_W = 80


def _peer_col(d: Disagreement, peer: str) -> str:
    if peer in d.peers:
        return f"{fmt_rate(d.peers[peer])} {ratio_text(d.peers[peer], d.ours.value)}"
    if peer in d.agree:
        return "same"
    return "-"


def _rows(audit: Audit, rows: list[Disagreement], *, reasons: bool) -> Iterator[str]:
    peers = list(audit.peers)
    head = f"  {'dimension':<24}{'ours':>10}" + "".join(f"  {p:>17}" for p in peers)
    yield head.rstrip()
    model = None
    why: dict[str, list[str]] = {}  # reason -> peers, once per model block
    told: dict[str, str] = {}  # reason -> the model it was first given under
    for d in rows:
        if d.model != model:
            yield from _reasons(why, told, model)
            why = {}
            model = d.model
            yield from _model_line(audit, model)
        cells = "".join(f"  {_peer_col(d, p):>17}" for p in peers)
        yield f"  {d.dimension:<24}{fmt_rate(d.ours.value):>10}{cells}".rstrip()
        if d.ours.derived:
            yield from _wrap(f"ours: {d.ours.derived}", 6)
        if reasons:
            for p, reason in d.explained.items():
                if p not in why.setdefault(reason, []):
                    why[reason].append(p)
    yield from _reasons(why, told, model)


def _reasons(why: dict[str, list[str]], told: dict[str, str], model: str | None) -> list[str]:
    out: list[str] = []
    for reason, peers in why.items():
        first = told.setdefault(reason, model or "")
        text = reason if first == model else f"as for {first}, above"
        out += _wrap(f"why ({', '.join(peers)}): {text}", 4)
    return out


def _model_line(audit: Audit, model: str) -> list[str]:
    """The model's name, and the peer ids it is priced under when they differ."""
    alias = audit.priced_as.get(model)
    if not alias:
        return [model]
    return _wrap(f"{model} (" + "; ".join(f"{p}: as {i}" for p, i in alias.items()) + ")", 0)


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text, _W, initial_indent=pad, subsequent_indent=pad + "  ", break_on_hyphens=False
    )


def _title(text: str) -> list[str]:
    return ["", text, "-" * min(len(text), _W)]


def render(audit: Audit, *, verbose: bool = False) -> str:
    """The whole report. ``verbose`` also lists the peers' keys we do not compare."""
    s = summary(audit)
    peers = ", ".join(f"{p} {v}" for p, v in audit.peers.items())
    out = _wrap(f"Price audit at {audit.day.isoformat()} against {peers}", 0)
    per_peer = ", ".join(f"{p} {n:,}" for p, n in s["compared_by_peer"].items())
    out += _wrap(
        f"{s['compared']:,} rates compared ({per_peer}); {s['agreed']:,} agree; "
        f"{s['disagreements']} disagree ({s['explained']} explained, "
        f"{s['unexplained']} not); {s['lacking']} rates a peer has that we lack "
        f"({s['lacking_models']} models); {s['unresolved_models']} peer models we do not "
        f"resolve; {s['unknown_to_peers']} of ours no peer prices; "
        f"{s['stale']} {'stale' if audit.today in (None, audit.day) else 'unused'} "
        "explanations.",
        0,
    )
    for p, n in audit.skipped_undated.items():
        out += _wrap(
            f"{p} states no dates: {n} models whose price changed since "
            f"{audit.day.isoformat()} were not compared with it.",
            0,
        )
    out.append("Rates per 1M tokens; fees per unit. xN = peer / ours.")

    pending = [d for d in audit.disagreements if d.unexplained()]
    done = [d for d in audit.disagreements if not d.unexplained()]
    if pending:
        out += _title(f"Disagreements not yet explained ({s['unexplained']})")
        out += _rows(audit, pending, reasons=True)
    if done:
        out += _title(f"Explained disagreements ({s['explained']})")
        out += _rows(audit, done, reasons=True)
    if audit.stale:
        if audit.today in (None, audit.day):
            title = "Stale explanations: they match no disagreement"
        else:  # at another date an entry may simply concern a later price
            title = f"Explanations unused on {audit.day.isoformat()} (stale only if unused today)"
        out += _title(f"{title} ({len(audit.stale)})")
        for e in audit.stale:
            out += _wrap(f"{e.model} {e.dimension} {e.peer}: {e.reason}", 2)
    if audit.lacking:
        out += _title(f"Rates a peer prices and we do not ({s['lacking']})")
        for model, cells in audit.lacking.items():
            out += _model_line(audit, model)
            groups: dict[tuple[str, str], list[str]] = {}
            for cell, figures in cells.items():
                prefix, _, dim = cell.rpartition(".")
                if len(set(figures.values())) == 1:
                    values = fmt_rate(next(iter(figures.values())))
                else:
                    values = " / ".join(f"{fmt_rate(v)} {p}" for p, v in figures.items())
                who = "+".join(sorted(figures))
                groups.setdefault((prefix or "standard", who), []).append(f"{dim} {values}")
            for (prefix, who), dims in groups.items():
                out += _wrap(f"{prefix} [{who}]: " + ", ".join(dims), 2)
    if audit.unresolved:
        out += _title("Models a peer prices that we do not resolve")
        listed = [n for by_peer in audit.unresolved.values() for ns in by_peer.values() for n in ns]
        if any(n.endswith(" (assumed)") for n in listed):
            out += _wrap(
                '"(assumed)": resolved only by a fallback that warns (a new dated snapshot '
                "priced as its model).",
                2,
            )
        for fam, by_peer in audit.unresolved.items():
            for p, names in by_peer.items():
                out += _wrap(f"{fam} [{p}]: " + ", ".join(sorted(names)), 2)
    if audit.unknown_to_peers:
        out += _title(f"Models we price that no peer knows ({len(audit.unknown_to_peers)})")
        out += _wrap(", ".join(audit.unknown_to_peers), 2)
    if verbose:
        for p, keys in audit.ignored_keys.items():
            if keys:
                out += _title(f"{p} keys not compared")
                out += _wrap(", ".join(f"{k} ({n})" for k, n in keys.items()), 2)
    out.append("")
    if audit.failed:
        out += _wrap(
            f"FAIL: {s['unexplained']} disagreements are not explained. Fix our data where "
            "the peers are right (cite the evidence in the period's source), or explain them "
            "in src/openai_cost/data/prices/audit/explained.toml.",
            0,
        )
    else:
        out.append("OK: every disagreement is explained.")
    return "\n".join(out) + "\n"

"""Tables that fit the terminal without hiding money.

Rich squeezes every column of a table that is too wide and cuts cells with an ellipsis, so at 80
columns a cost reads ``$0.…``. `fit` lays a table out itself instead:

1. number and money columns (``kind="number"``) always get their full width and never wrap;
2. text columns (model names, reasons) fold onto several lines;
3. when that is not enough, columns with a ``drop`` rank give way, highest rank first: empty
   ones go, then counts are abbreviated (``1,234,567`` -> ``1.23M``), then whole columns are
   left out and the caption says which;
4. a table that still cannot fit (a very narrow terminal) is printed wider than the terminal
   rather than cut: the terminal wraps the lines, every digit stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["Column", "compact", "fit", "print_fit"]


@dataclass(frozen=True)
class Column:
    """One column: its header, what it holds and how soon it gives way."""

    header: str
    """Column heading."""
    kind: Literal["text", "number"] = "number"
    """``number`` (counts, money: never cut or wrapped) or ``text`` (folds when narrow)."""
    drop: int = 0
    """0: always shown. Otherwise the column is abbreviated, then left out, when the table does
    not fit; the highest rank gives way first."""
    footer: str = ""
    """Footer cell (tables with ``show_footer``)."""
    justify: Literal["left", "right", "center"] | None = None
    """Default: right for numbers, left for text."""
    no_wrap: bool = False
    """A text column that must stay on one line (a bar)."""
    min_width: int = 12
    """A text column is folded no narrower than this (or its widest cell)."""


def compact(cell: str) -> str:
    """``1,234,567`` -> ``1.23M``: a count in at most 5 characters; anything else as is."""
    digits = cell.replace(",", "")
    if not digits.isdigit() or len(digits) <= 3:
        return cell
    n = int(digits)
    for unit, size in (("K", 10**3), ("M", 10**6), ("B", 10**9), ("T", 10**12)):
        if n / size < 999.5:
            return f"{n / size:.3g}{unit}"
    return f"{n:.2e}"


def _width(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def fit(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int,
    title: str | None = None,
    caption: str | None = None,
    show_footer: bool = False,
    styles: dict[int, str] | None = None,
    sections: Sequence[int] = (),
) -> tuple[Table, int]:
    """Lay out a table for a terminal ``width`` columns wide.

    Args:
        columns: the columns, in order.
        rows: the cells, as strings (already formatted).
        width: the terminal's width.
        title: table title.
        caption: caption under the table (the names of columns left out are added to it).
        show_footer: print the columns' footers.
        styles: row index -> style (a bold total row).
        sections: row indexes that start a new section (a rule above them).

    Returns:
        The `Table`, and the width to print it at (wider than ``width`` only when even the
        number columns alone do not fit).
    """
    from rich.table import Table

    cols = list(columns)
    data = [list(r) for r in rows]
    keep = list(range(len(cols)))

    def natural(i: int) -> int:
        c = cols[i]
        cells = [_width(r[i]) for r in data]
        return max([_width(c.header), _width(c.footer) if show_footer else 0, *cells])

    def needed() -> int:
        total = 3 * len(keep) + 1  # padding and rules
        for i in keep:
            w = natural(i)
            if cols[i].kind == "text" and not cols[i].no_wrap:
                w = min(w, cols[i].min_width)
            total += w
        return total

    droppable = sorted((i for i, c in enumerate(cols) if c.drop), key=lambda i: -cols[i].drop)
    left_out: list[str] = []
    # 1. empty columns go first
    for i in droppable:
        if needed() <= width:
            break
        if all(not r[i].strip() for r in data):
            keep.remove(i)
    # 2. abbreviate counts
    for i in droppable:
        if needed() <= width:
            break
        if i in keep and cols[i].kind == "number":
            for r in data:
                r[i] = compact(r[i])
            cols[i] = replace(cols[i], footer=compact(cols[i].footer))
    # 3. leave columns out
    for i in droppable:
        if needed() <= width:
            break
        if i in keep:
            keep.remove(i)
            if cols[i].header and any(r[i].strip() for r in data):
                left_out.append(cols[i].header)
    if left_out:
        note = f"not shown at this width: {', '.join(left_out)} (a wider terminal or --json)"
        caption = f"{caption}\n{note}" if caption else note

    fixed = sum(natural(i) for i in keep if cols[i].kind == "number" or cols[i].no_wrap)
    texts = [i for i in keep if cols[i].kind == "text" and not cols[i].no_wrap]
    room = width - (3 * len(keep) + 1) - fixed
    share = {i: min(natural(i), cols[i].min_width) for i in texts}
    room -= sum(share.values())
    for n, i in enumerate(sorted(texts, key=lambda i: natural(i) - share[i])):
        extra = min(natural(i) - share[i], max(room, 0) // (len(texts) - n))
        share[i] += extra
        room -= extra
    out_width = max(width, 3 * len(keep) + 1 + fixed + sum(share.values()))

    table = Table(
        title=title,
        caption=caption,
        title_justify="left",
        caption_justify="left",
        show_footer=show_footer,
    )
    for i in keep:
        c = cols[i]
        if c.kind == "number" or c.no_wrap:
            w = natural(i)
            table.add_column(
                c.header,
                footer=c.footer,
                justify=c.justify or ("right" if c.kind == "number" else "left"),
                no_wrap=True,
                min_width=w,
                max_width=w,
            )
        else:
            table.add_column(
                c.header,
                footer=c.footer,
                justify=c.justify or "left",
                overflow="fold",
                max_width=share[i],
            )
    for n, r in enumerate(data):
        if n in sections:
            table.add_section()
        table.add_row(*(r[i] for i in keep), style=(styles or {}).get(n))
    return table, out_width


def print_fit(console: Console, table: Table, width: int) -> None:
    """Print a table from `fit`: never cropped, even when it is wider than the terminal (then
    the terminal wraps its lines)."""
    if width <= console.width:
        console.print(table)
        return
    narrow = console.width
    console.width = width  # rich caps a print's width at the console's
    try:
        console.print(table, crop=False)
    finally:
        console.width = narrow

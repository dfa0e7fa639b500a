"""The price catalog: load and validate price files, resolve a model name at a date.

Data model (one TOML file per provider in ``openai_cost/data/prices/``; users add their own):

* ``[[models]]``: an entry with an ``id``, other names (``aliases``: dated snapshots, alternative
  spellings), metadata (``encoding``, ``max_output_tokens``, ``context_window``) and a list of
  dated price periods ``[[models.prices]]``. A period holds standard rates as decimal strings
  (per 1M tokens for token dimensions, per unit for fees), optional ``batch`` / ``flex`` /
  ``priority`` tables, ``per_image`` prices, a ``long_context`` tier, and its ``source``.
* ``[[aliases]]``: a floating name that pointed at different snapshots over time
  (``targets = [{since = ..., model = ...}, ...]``), resolved by date.
* ``[[tool_fees]]``: dated per-call fees (web search, file search...) every model inherits
  unless its own period sets them.

Resolution of a name at a date: lower-case it, strip provider prefixes (``openai/``, ``azure/``),
map ``ft:<base>:<org>:<suffix>:<id>`` to the ``ft:<base>`` entry, follow a dated alias, then take
the newest period whose ``since`` is on or before the date. A name ``<known id>-YYYY-MM-DD`` that
no file lists (a new dated snapshot) is priced as the known id on the call's date, with a note on
the cost and a `PricingWarning`, unless the catalog's ``snapshot_fallback`` is off. Anything else
is `UnknownModelError`, never a zero price.

Files carry a version: ``updated`` (the date of the newest price change they know) and
``schema`` (the format version, `SCHEMA`). The shared catalog reads the bundled files, then a
price file installed by ``openai-cost prices update`` (``<user dir>/prices/``) in place of the
bundled file of the same name when it is at least as recent, then the user's own files.
"""

from __future__ import annotations

import functools
import os
import re
import time
import warnings
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._price_file import (
    SCHEMA,
    ModelEntry,
    PriceFile,
    _Alias,
    _parse,
    _Parsed,
    _toml_loads,
    _ToolFees,
)
from .errors import (
    PriceDataError,
    PriceNotInForceError,
    PricingWarning,
    UnknownModelError,
    UsageError,
)
from .types import ModelPrice, PricePeriod

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SCHEMA", "Catalog", "ModelEntry", "PriceFile", "catalog", "parse_price_text", "to_date"]

PROVIDER_PREFIXES = ("openai/", "openai:", "azure/", "azure_ai/", "openrouter/")
"""Prefixes stripped from a model name before lookup (repeatedly)."""


def strip_provider(model: str) -> str:
    """``model`` lower-cased without its provider prefixes (``openai/``, ``azure/``...),
    stripped repeatedly; a bare prefix stays as it is. The one prefix stripper: the catalog's
    lookup and the tokenizer's encoding rules both read names through it."""
    name = model.strip().lower()
    stripped = True
    while stripped:
        stripped = False
        for p in PROVIDER_PREFIXES:
            if name.startswith(p) and len(name) > len(p):
                name = name[len(p) :]
                stripped = True
    return name


_DATED = re.compile(r"^(.+)-(\d{4}-\d{2}-\d{2})$")
"""A dated snapshot name: ``<base>-YYYY-MM-DD``."""

_today_cache: list[Any] = [-1, None]  # [days since epoch, date]


def _today() -> date:
    days = int(time.time() // 86400)
    if days != _today_cache[0]:
        _today_cache[1] = datetime.now(timezone.utc).date()
        _today_cache[0] = days
    return _today_cache[1]  # type: ignore[no-any-return]


def to_date(at: date | datetime | str | None) -> date:
    """Normalise ``at`` to a UTC date; None means today (UTC).

    Naive datetimes are taken as UTC. Strings are ISO dates or datetimes.

    Raises:
        UsageError: a string that is not an ISO date or datetime (also a ValueError).
    """
    if at is None:
        return _today()
    if type(at) is date:
        return at
    if isinstance(at, datetime):
        if at.tzinfo is not None:
            at = at.astimezone(timezone.utc)
        return at.date()
    if isinstance(at, date):
        return at
    if isinstance(at, str):
        try:
            if len(at) == 10:
                return date.fromisoformat(at)
            return to_date(datetime.fromisoformat(at.replace("Z", "+00:00")))
        except ValueError as e:
            # UsageError is a ValueError too: callers catching ValueError keep working
            raise UsageError(f"invalid date {at!r}; expected YYYY-MM-DD") from e
    raise TypeError(f"at must be a date, datetime, ISO string or None, got {at!r}")


def parse_price_text(text: str, origin: str, provider: str = "custom") -> PriceFile:
    """Parse and validate the text of a price file; the same checks as every file the catalog reads.

    Args:
        text: the TOML text.
        origin: a name for messages (a path or URL).
        provider: the provider of entries that do not name one.

    Returns:
        The file's version and model count.

    Raises:
        PriceDataError: the text is not valid TOML or not a valid price file; the message names
            the origin, the entry and the field.
    """
    parsed = _parse(_toml_loads(text, origin), origin, provider)
    Catalog()._add_parsed(parsed, PriceFile(origin, "user", None, None))  # names must be unique
    return PriceFile(origin, "user", parsed.updated, parsed.schema, len(parsed.entries))


# --------------------------------------------------------------------------- catalog


class Catalog:
    """All known models and their dated prices; resolves a name at a date to a `ModelPrice`.

    `openai_cost.catalog()` returns the shared instance with the bundled data and the file named
    by ``OPENAI_COST_PRICES`` (if set); build your own with ``Catalog.bundled()`` or
    ``Catalog([])`` and `load` files into it.
    """

    def __init__(self, files: Iterable[str | Path] = (), *, snapshot_fallback: bool = True) -> None:
        self.snapshot_fallback = snapshot_fallback
        """Price an unknown ``<known id>-YYYY-MM-DD`` as the known id (with a note and a
        `PricingWarning`); False makes such a name an `UnknownModelError`."""
        self._files: list[PriceFile] = []
        self._entries: dict[str, ModelEntry] = {}
        self._names: dict[str, str] = {}  # lower-case name -> entry id
        self._aliases: dict[str, _Alias] = {}
        self._tool_fees: list[_ToolFees] = []
        self._cache: dict[tuple[str, date], ModelPrice] = {}
        self._shared: dict[tuple[str, date, int, str, str | None], ModelPrice] = {}
        for f in files:
            self.load(f)

    # ----------------------------------------------------------------- loading
    @classmethod
    def bundled(cls) -> Catalog:
        """A new catalog holding only the price data shipped with the package."""
        cat = cls()
        for name, parsed in _bundled_parts():
            origin = f"openai_cost/data/prices/{name}"
            cat._add_parsed(parsed, PriceFile(origin, "bundled", parsed.updated, parsed.schema))
        return cat

    @classmethod
    def installed(cls, home: str | Path | None = None) -> Catalog:
        """The bundled data, with any file installed by ``openai-cost prices update`` in place.

        A downloaded file (``<home>/prices/<name>.toml``, home defaulting to the user dir)
        replaces the bundled file of the same name when its ``updated`` date is not older; an
        older or unreadable one is skipped with a `PricingWarning`. Nothing is downloaded here.
        """
        from pathlib import Path

        from .config import user_dir

        folder = Path(home if home is not None else user_dir()) / "prices"
        cat = cls()
        for name in _bundled_names():
            origin = f"openai_cost/data/prices/{name}"
            path = folder / name
            down = _read_downloaded(path, name) if path.is_file() else None
            if down is not None:
                cat._add_parsed(down, PriceFile(str(path), "downloaded", down.updated, down.schema))
                continue
            parsed = _bundled_file(name)
            cat._add_parsed(parsed, PriceFile(origin, "bundled", parsed.updated, parsed.schema))
        return cat

    def files(self) -> list[PriceFile]:
        """The price files read into this catalog, in the order they were read (later wins)."""
        return list(self._files)

    def load(self, path: str | Path) -> Catalog:
        """Add or override models from a TOML price file in the bundled format.

        Entries with an id (or alias) already known replace the existing ones.

        Raises:
            PriceDataError: the file is missing or malformed; the message names the file, entry
                and field.
        """
        from pathlib import Path

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise PriceDataError(f"{p}: cannot read price file: {e.strerror or e}") from e
        except UnicodeDecodeError as e:
            line = _text_line(p.read_bytes(), e.start)
            raise PriceDataError(
                f"{p}: not UTF-8 text (line {line}: {e.reason}); save the price file as UTF-8"
            ) from e
        self._add_text(text, str(p), "custom")
        return self

    def _add_text(self, text: str, origin: str, provider: str) -> None:
        data = _toml_loads(text, origin)
        parsed = _parse(data, origin, provider)
        self._add_parsed(parsed, PriceFile(origin, "user", parsed.updated, parsed.schema))

    def _add_parsed(self, parsed: _Parsed, info: PriceFile) -> None:
        entries, aliases, fees = parsed.entries, parsed.aliases, parsed.fees
        self._files.append(
            PriceFile(info.origin, info.kind, info.updated, info.schema, len(entries))
        )
        for entry in entries:
            self._add_entry(entry)
        for a in aliases:
            key = a.name.lower()
            self._names.pop(key, None)
            self._aliases[key] = a
        self._tool_fees = sorted([*self._tool_fees, *fees], key=lambda f: f.since)
        self._cache.clear()
        self._shared.clear()

    def _add_entry(self, e: ModelEntry) -> None:
        old = self._entries.get(e.id)
        if old is not None:
            for n in (old.id, *old.aliases):
                self._names.pop(n.lower(), None)
        self._entries[e.id] = e
        for n in (e.id, *e.aliases):
            key = n.lower()
            prev = self._names.get(key)
            if prev is not None and prev != e.id and e.origin == self._entries[prev].origin:
                raise PriceDataError(
                    f"{e.origin}: models ({e.id}): name {n!r} is already used by {prev!r}"
                )
            self._names[key] = e.id
            self._aliases.pop(key, None)

    # ----------------------------------------------------------------- lookup
    def entries(self) -> list[ModelEntry]:
        """Every model entry, in id order."""
        return [self._entries[k] for k in sorted(self._entries)]

    def entry(self, model_id: str) -> ModelEntry:
        """The entry with this exact id (no alias or date resolution)."""
        try:
            return self._entries[model_id]
        except KeyError:
            raise UnknownModelError(model_id, self._suggest(model_id)) from None

    def lookup(self, name: str, at: date | datetime | str | None = None) -> ModelEntry:
        """The entry ``name`` means on ``at`` (default today), whether or not it has a price then.

        Follows the same rules as `resolve` (case, prefixes, ``ft:`` names, dated aliases, new
        dated snapshots when `snapshot_fallback` is on).

        Raises:
            UnknownModelError: no entry has this name.
        """
        day = to_date(at)
        try:
            return self._entry_for(name, day)[0]
        except UnknownModelError:
            found = self._snapshot_base(name, day) if self.snapshot_fallback else None
            if found is None:
                raise
            return found[0]

    def alias_names(self) -> list[str]:
        """Names of the dated aliases."""
        return sorted(a.name for a in self._aliases.values())

    def alias_targets(self, name: str) -> list[tuple[date, str]]:
        """The (since, model id) history of a dated alias."""
        a = self._aliases.get(name.lower())
        return list(a.targets) if a else []

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self._entry_for(name, to_date(None))
        except UnknownModelError:
            return False
        return True

    def resolve(
        self, model: str, at: date | datetime | str | None = None, *, warn: bool = True
    ) -> ModelPrice:
        """The price entry in force for ``model`` on ``at`` (default: today, UTC).

        Accepts exact ids, dated snapshots, aliases (followed by date), any case, provider
        prefixes (``openai/gpt-4o``) and fine-tuned names (``ft:gpt-4o-mini-2024-07-18:org::id``,
        priced at the base model's fine-tuned rates). A new dated snapshot of a known model
        (``<known id>-YYYY-MM-DD`` that no file lists) resolves to the known id on ``at``, with
        the assumption in `ModelPrice.note` and a `PricingWarning` (``warn=False`` skips the
        warning), unless `snapshot_fallback` is False.

        Raises:
            UnknownModelError: the name is unknown; the message names the closest known ids.
            PriceNotInForceError: the model is known but ``at`` is before its first price.
        """
        day = _today() if at is None else to_date(at)
        key = (model, day)
        hit = self._cache.get(key)
        if hit is not None:
            if warn and hit.note is not None:
                warnings.warn(hit.note, PricingWarning, stacklevel=2)
            return hit
        note = None
        try:
            entry, requested = self._entry_for(model, day)
        except UnknownModelError:
            found = self._snapshot_base(model, day) if self.snapshot_fallback else None
            if found is None:
                raise
            entry, requested = found
            note = (
                f"{requested} is not in the price data: priced as {entry.id}, "
                "assuming a new snapshot keeps its model's price"
            )
        period = entry.period_at(day)
        if period is None:
            raise PriceNotInForceError(model, entry.periods[0].since, day)
        # every day of one stretch of constant rates shares one ModelPrice (and so one set of
        # pricing's memoised rate plans): the period, and the tool fees in force that day
        fee_stretch = sum(1 for f in self._tool_fees if f.since <= day)
        shared_key = (entry.id, period.since, fee_stretch, requested, note)
        mp = self._shared.get(shared_key)
        if mp is None:
            mp = ModelPrice(
                model=entry.id,
                provider=entry.provider,
                period=self._with_tool_fees(period, day),
                requested=requested if requested != entry.id else None,
                encoding=entry.encoding,
                max_output_tokens=entry.max_output_tokens,
                context_window=entry.context_window,
                fine_tuned=entry.fine_tuned,
                note=note,
            )
            self._shared[shared_key] = mp
        if len(self._cache) > 65536:
            self._cache.clear()
        self._cache[key] = mp
        if warn and note is not None:
            warnings.warn(note, PricingWarning, stacklevel=2)
        return mp

    def _snapshot_base(self, model: str, day: date) -> tuple[ModelEntry, str] | None:
        """The entry of ``<known name>`` for an unknown ``<known name>-YYYY-MM-DD``."""
        if not isinstance(model, str):
            return None
        m = _DATED.match(strip_provider(model))
        if m is None:
            return None
        try:
            date.fromisoformat(m.group(2))
            entry, _ = self._entry_for(m.group(1), day)
        except (ValueError, UnknownModelError):
            return None
        return entry, m.group(0)

    def _with_tool_fees(self, period: PricePeriod, day: date) -> PricePeriod:
        fees: dict[str, Decimal] = {}
        for f in self._tool_fees:
            if f.since <= day:
                fees.update(f.rates)
        missing = {k: v for k, v in fees.items() if k not in period.standard}
        if not missing:
            return period
        merged = MappingProxyType({**period.standard, **missing})
        return PricePeriod(
            since=period.since,
            standard=merged,
            source=period.source,
            since_exact=period.since_exact,
            confidence=period.confidence,
            note=period.note,
            batch=period.batch,
            flex=period.flex,
            priority=period.priority,
            ultrafast=period.ultrafast,
            per_image=period.per_image,
            long_context=period.long_context,
        )

    def _entry_for(self, model: str, day: date) -> tuple[ModelEntry, str]:
        if not isinstance(model, str) or not model.strip():
            raise UnknownModelError(repr(model), ())
        name = strip_provider(model)
        found = self._lookup(name, day)
        if found is not None:
            return found, name
        if name.startswith("ft:"):
            base = name.split(":")[1] if name.count(":") >= 1 else ""
            if base:
                ft = self._lookup("ft:" + base, day)
                if ft is None:
                    # ft:<alias> -> resolve the alias to a snapshot, then ft:<snapshot>
                    inner = self._lookup(base, day)
                    if inner is not None:
                        ft = self._lookup("ft:" + inner.id.lower(), day)
                if ft is not None:
                    return ft, name
                raise UnknownModelError(
                    model,
                    ["ft:" + s for s in self._suggest(base, fine_tuned=True)]
                    or self._suggest(name),
                )
        raise UnknownModelError(model, self._suggest(name))

    def _lookup(self, name: str, day: date) -> ModelEntry | None:
        mid = self._names.get(name)
        if mid is not None:
            return self._entries[mid]
        alias = self._aliases.get(name)
        if alias is not None:
            target = alias.target_at(day)
            if target is None:
                target = alias.targets[0][1]
            tid = self._names.get(target.lower())
            if tid is not None:
                return self._entries[tid]
        return None

    def _suggest(self, name: str, *, fine_tuned: bool = False) -> list[str]:
        pool = [n for n in (*self._names, *self._aliases) if n.startswith("ft:") == fine_tuned]
        if fine_tuned:
            pool = [n[3:] for n in pool]
        import difflib

        return difflib.get_close_matches(name.lower(), pool, n=5, cutoff=0.5)

    def models(self, at: date | datetime | str | None = None) -> list[ModelPrice]:
        """Every model and dated alias with a price on ``at`` (default today), sorted by name.

        Dated aliases appear under their own name (``requested``) with their target's prices.
        """
        day = to_date(at)
        out: list[ModelPrice] = []
        for e in self._entries.values():
            if e.period_at(day) is not None:
                out.append(self.resolve(e.id, day))
        for a in self._aliases.values():
            if a.target_at(day) is None:
                continue
            try:
                mp = self.resolve(a.name, day)
            except (UnknownModelError, PriceNotInForceError):
                continue
            out.append(mp)
        out.sort(key=lambda m: m.requested or m.model)
        return out

    def to_arrow(self, at: date | datetime | str | None = None) -> tuple[Any, Any]:
        """The catalog as two `pyarrow.Table` objects, ``(prices, aliases)``, ready to join.

        ``prices`` has one row per (model, period, tier, context band, dimension) with
        ``since`` (inclusive) and ``until`` (exclusive, null for current rows) and an exact
        ``price_usd`` (``decimal128(38, 12)``); ``aliases`` maps every name to its model with
        the dates. The same tables ``openai-cost catalog export`` writes. Needs pyarrow
        (``pip install "openai-cost[arrow]"``).

        Args:
            at: only the rows in force on this day (default: every period).
        """
        from .table._catalog import arrow_tables

        return arrow_tables(self, None if at is None else to_date(at))

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)


@functools.cache
def _bundled_names() -> tuple[str, ...]:
    """File names of the bundled price files."""
    from importlib import resources

    pkg = resources.files("openai_cost") / "data" / "prices"
    return tuple(sorted(i.name for i in pkg.iterdir() if i.name.endswith(".toml")))


def _bundled_text(name: str) -> str:
    from importlib import resources

    return (resources.files("openai_cost") / "data" / "prices" / name).read_text(encoding="utf-8")


@functools.cache
def _bundled_file(name: str) -> _Parsed:
    """One bundled price file, parsed once per process."""
    origin = f"openai_cost/data/prices/{name}"
    return _parse(_toml_loads(_bundled_text(name), origin), origin, name.removesuffix(".toml"))


def _bundled_parts() -> tuple[tuple[str, _Parsed], ...]:
    """Every bundled price file, parsed: (file name, parsed) pairs."""
    return tuple((name, _bundled_file(name)) for name in _bundled_names())


_UPDATED = re.compile(r'^updated\s*=\s*"(\d{4}-\d{2}-\d{2})"', re.MULTILINE)


@functools.cache
def _bundled_updated(name: str) -> date | None:
    """The ``updated`` date of a bundled file, read from its top-level key without parsing the
    whole file (the bundled file is the project's own, checked by the tests)."""
    text = _bundled_text(name)
    head = text[: text.find("\n[")]  # top-level keys come before the first table
    m = _UPDATED.search(head)
    return date.fromisoformat(m.group(1)) if m else None


def _read_downloaded(path: Path, name: str) -> _Parsed | None:
    """A downloaded price file if it is readable and not older than the bundled one, else None
    (with a `PricingWarning` saying why it is skipped)."""
    try:
        down = _parse(
            _toml_loads(path.read_text(encoding="utf-8"), str(path)),
            str(path),
            name.removesuffix(".toml"),
        )
    except (OSError, PriceDataError) as e:
        warnings.warn(f"ignoring downloaded price file {path}: {e}", PricingWarning, stacklevel=3)
        return None
    bundled = _bundled_updated(name)
    if down.updated is None or (bundled is not None and down.updated < bundled):
        warnings.warn(
            f"ignoring downloaded price file {path}: updated {down.updated} is older than the "
            f"bundled data ({bundled})",
            PricingWarning,
            stacklevel=3,
        )
        return None
    return down


def _text_line(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


_shared: Catalog | None = None


def catalog(*, reload: bool = False) -> Catalog:
    """The shared catalog: bundled < downloaded prices < the files in ``OPENAI_COST_PRICES``.

    Downloaded prices are those ``openai-cost prices update`` installed under the user dir
    (see `Catalog.installed`); nothing is ever downloaded here. The catalog is built on first
    use (not at import) and kept for the life of the process;
    files added with `Catalog.load` stay in it. ``OPENAI_COST_PRICES`` may list several files
    separated by ``os.pathsep``; it is read when the catalog is built, so after changing it call
    ``catalog(reload=True)`` to rebuild from the bundled data and the variable as it is now.
    """
    global _shared
    cat = _shared
    if cat is None or reload:
        cat = Catalog.installed()
        extra = os.environ.get("OPENAI_COST_PRICES")
        for part in (extra or "").split(os.pathsep):
            if part:
                cat.load(part)
        _shared = cat
    return cat

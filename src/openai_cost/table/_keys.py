"""The key columns of a batch -> each row's row in the kernel's rate tables.

A row's key is its (model, day, tier, batch, image key). `KeyIndex` resolves each distinct key
once (`_groups._resolve`) and keeps, across the batches of one run, what makes the next batch
cheap: the names seen so far (model, tier and image key get the same code in every batch),
and either a lookup table over the batch's small key rectangle (names x tiers x batch x image
keys x days: no hashing at all) or the distinct combined codes already decoded. A batch with
too many names, or days too far apart, is coded on its own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ._arrow import require_numpy, require_pyarrow
from ._groups import _Group, _resolve

if TYPE_CHECKING:
    from ..catalog import Catalog

_EPOCH = date(1970, 1, 1)
_DAY_SPAN = 1 << 16  # a batch's days within this span are coded by offset, without hashing
_KNOWN_LIMIT = 4096  # distinct names a kernel remembers per key column
_CODE_LIMIT = 1 << 62  # combined group codes stay below this (compacted when they would not)
_DENSE_LIMIT = 1 << 20  # places in a batch's key rectangle for a lookup table
_DENSE_MIN_ROWS = 1 << 16  # rows in a batch for a lookup table (smaller: cached codes)
_DAY_STRIDE = 1 << 22  # stable key codes: the day's place (days -2**21 .. 2**21 from 1970)
_DAY_OFFSET = 1 << 21


class KeyIndex:
    """Resolutions of keys, and the codes that find them, kept across the batches of a run.

    Args:
        cat: the catalog keys are resolved with.
    """

    def __init__(self, cat: Catalog) -> None:
        self.pa, self.pc = require_pyarrow()
        self.np = require_numpy()
        self.cat = cat
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self.shared: dict[tuple[Any, ...], tuple[Any, _Group]] = {}
        # every distinct resolution, by its index in the rate tables; failures by their reason
        self._registry: list[_Group] = []
        self._by_reason: dict[str, _Group] = {}
        # names seen in earlier batches, by key column: (names, the same as an array), None
        # first, and each name's position; a combined key code -> (table row, name as given)
        self._known: dict[str, tuple[list[Any], Any]] = {}
        self._known_pos: dict[str, dict[Any, int]] = {}
        self._by_code: dict[int, tuple[int, bool]] = {}
        # the lookup table of `_dense_group_ids`: its rectangle, rows, names as given
        self._dense_key: tuple[int, ...] = ()
        self._dense: Any = None
        self._dense_given: Any = None

    def ids(
        self, model: Any, day: Any, tier: Any, batch: Any, image: Any, n: int
    ) -> tuple[Any, bool]:
        """Each row's row in the rate tables (int32), and whether every row's model name is
        the one its resolution gives.

        Args:
            model, tier, image: the key columns (string or dictionary; None when absent).
            day: int64 days since 1970-01-01, no nulls.
            batch: a boolean column without nulls, or None.
            n: the number of rows.
        """
        pa, pc = self.pa, self.pc
        if not n:
            return pa.array([], pa.int32()), False
        absent: tuple[Any, list[Any], bool] = (None, [None], True)
        models = self._encode(model, "model")
        tiers = self._encode(tier, "tier") if tier is not None else absent
        batches = (batch, [False, True], True) if batch is not None else (None, [False], True)
        images = self._encode(image, "image") if image is not None else absent
        lo, hi = (v.as_py() for v in pc.min_max(day).values())
        found = None
        if all(k[2] for k in (models, tiers, images)):  # stable codes
            if n >= _DENSE_MIN_ROWS:  # a table per rectangle pays off on large batches only
                found = self._dense_group_ids(models, tiers, batches, images, day, lo, hi)
            if found is None and lo >= -_DAY_OFFSET and hi < _DAY_OFFSET:
                found = self._stable_group_ids(models, tiers, batches, images, day)
        if found is None:
            keys = [models[:2], self._day_codes(day), tiers[:2], batches[:2], images[:2]]
            found = self._group_ids(keys, n)
        return found

    @property
    def registry(self) -> list[_Group]:
        """Every distinct resolution, in rate-table order."""
        return self._registry

    def _encode(self, arr: Any, slot: str) -> tuple[Any, list[Any], bool]:
        """(integer codes, values, stable) of a key column, nulls included as a value.

        Stable codes index the kernel's list of the ``slot``'s names (None first), the same
        in every batch; a batch whose names are all known is coded by a lookup in that list
        (cheaper than building a dictionary). New names are added, up to `_KNOWN_LIMIT`;
        beyond it the codes are the batch's own (not stable).
        """
        pa, pc = self.pa, self.pc
        known = self._known.get(slot)
        if pa.types.is_dictionary(arr.type):  # already encoded (Parquet, DuckDB): no hashing
            indices, values = arr.indices, arr.dictionary.cast(pa.string()).to_pylist()
        else:
            if not pa.types.is_string(arr.type):
                arr = arr.cast(pa.string())
            if known is not None:
                idx = pc.index_in(arr, value_set=known[1])
                if idx.null_count == 0:  # every name (and null) seen before
                    return idx, known[0], True
            enc = pc.dictionary_encode(arr)
            indices, values = enc.indices, enc.dictionary.to_pylist()
        pos = self._remember(slot, values)
        if pos is not None:
            mapping = pa.array([pos[v] for v in values], pa.int32())
            codes = pc.take(mapping, indices)
            return (
                (pc.fill_null(codes, 0) if codes.null_count else codes),
                self._known[slot][0],
                True,
            )
        if indices.null_count:
            indices = pc.fill_null(indices, len(values))
        return indices, [*values, None], False

    def _remember(self, slot: str, values: list[Any]) -> dict[Any, int] | None:
        """Add ``values`` to the slot's known names; their positions, or None past the limit."""
        old = self._known.get(slot)
        names: list[Any] = old[0] if old is not None else [None]
        pos = self._known_pos.setdefault(slot, {None: 0})
        new = [v for v in dict.fromkeys(values) if v not in pos]
        if len(names) + len(new) > _KNOWN_LIMIT + 1:
            return None
        if new or old is None:
            for v in new:
                pos[v] = len(names)
                names = [*names, v]
            self._known[slot] = (names, self.pa.array(names, self.pa.string()))
        return pos

    def _day_codes(self, days: Any) -> tuple[Any, list[int]]:
        """(int64 codes, day numbers): the offset from the first day when the batch spans
        less than `_DAY_SPAN` days (no hashing), else dictionary codes."""
        pc = self.pc
        mm = pc.min_max(days)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        if lo is None:
            return days, []
        if hi - lo < _DAY_SPAN:
            return pc.subtract(days, lo), list(range(lo, hi + 1))
        return self._encode_ints(days)

    def _encode_ints(self, arr: Any) -> tuple[Any, list[Any]]:
        pa, pc = self.pa, self.pc
        enc = pc.dictionary_encode(arr)
        return enc.indices.cast(pa.int64()), enc.dictionary.to_pylist()

    def _register(self, g: _Group) -> int:
        """The index of ``g``'s resolution in the rate tables (added when new)."""
        if g.idx < 0:
            twin = self._by_reason.get(g.reason) if g.reason is not None else None
            if twin is not None:  # one row in the tables per failure message
                g.idx = twin.idx
            else:
                g.idx = len(self._registry)
                self._registry.append(g)
                if g.reason is not None:
                    self._by_reason[g.reason] = g
        return g.idx

    def _dense_group_ids(
        self, models: Any, tiers: Any, batches: Any, images: Any, days: Any, lo: int, hi: int
    ) -> tuple[Any, bool] | None:
        """`_group_ids` by a lookup table, without hashing, when every key column has stable
        codes and the batch's keys fit in a small rectangle (names x tiers x batch x image
        keys x days from its first to its last day); None when they do not.

        Each row's place in the rectangle is computed in numpy; the places the batch uses
        are counted (not hashed), and the table, kept while the rectangle stays the same,
        gives each place its row in the rate tables.
        """
        pa, pc, np = self.pa, self.pc, self.np
        n_m, n_t, n_i, span = len(models[1]), len(tiers[1]), len(images[1]), hi - lo + 1
        size = n_m * n_t * 2 * n_i * span
        if size > _DENSE_LIMIT:
            return None
        # int32 (the rectangle is at most `_DENSE_LIMIT` places), in place, a pass per step
        place = np.subtract(days.to_numpy(zero_copy_only=False), lo, dtype=np.int32)
        stride = span
        for codes, width in ((images[0], n_i), (batches[0], 2), (tiers[0], n_t), (models[0], 0)):
            if codes is not None:
                c = codes.to_numpy(zero_copy_only=False)
                if stride == 1:
                    place += c
                else:
                    place += np.multiply(c, stride, dtype=np.int32)
            stride *= width
        used = np.flatnonzero(np.bincount(place, minlength=size))
        key = (n_m, n_t, n_i, lo, span)
        if self._dense_key != key:
            self._dense_key = key
            self._dense = np.full(size, -1, dtype=np.int32)
            self._dense_given = np.zeros(size, dtype=bool)
        table, given = self._dense, self._dense_given
        for e in used[table[used] < 0].tolist():  # places not seen with this rectangle yet
            rest, d = divmod(e, span)
            rest, i = divmod(rest, n_i)
            rest, b = divmod(rest, 2)
            m, t = divmod(rest, n_t)
            name = models[1][m]
            idx = self._group((name, lo + d, tiers[1][t], bool(b), images[1][i]))
            table[e] = idx
            given[e] = name is not None and self._registry[idx].model == name
        gid = pc.take(pa.array(table), pa.array(place))
        return gid, bool(given[used].all())

    def _stable_group_ids(
        self, models: Any, tiers: Any, batches: Any, images: Any, days: Any
    ) -> tuple[Any, bool]:
        """`_group_ids` when every key column has stable codes: the combined code of a key is
        the same in every batch, so a key seen before is neither decoded nor looked up again
        (only the batch's distinct codes are found, by one dictionary encoding)."""
        pa, pc, np = self.pa, self.pc, self.np
        size = _KNOWN_LIMIT + 1
        code = np.zeros(len(days), dtype=np.int64)
        for codes, stride in ((models[0], size), (tiers[0], 2), (batches[0], size)):
            if codes is not None:
                code += codes.to_numpy(zero_copy_only=False)
            code *= stride
        if images[0] is not None:
            code += images[0].to_numpy(zero_copy_only=False)
        code *= _DAY_STRIDE
        code += days.to_numpy(zero_copy_only=False)
        code += _DAY_OFFSET
        enc = pc.dictionary_encode(pa.array(code))
        uniq = enc.dictionary.to_numpy().tolist()
        cache = self._by_code
        hits = [cache.get(c) for c in uniq]
        if None in hits:
            names = (models[1], tiers[1], images[1])
            for j, c in enumerate(uniq):
                if hits[j] is None:
                    hits[j] = cache[c] = self._code_group(c, *names)
        index = [h[0] for h in hits]  # type: ignore[index]
        as_given = all(h[1] for h in hits)  # type: ignore[index]
        return pc.take(pa.array(index, pa.int32()), enc.indices), as_given

    def _code_group(
        self, c: int, models: list[Any], tiers: list[Any], images: list[Any]
    ) -> tuple[int, bool]:
        """(table row, name as given) of a combined key code, resolved when new."""
        size = _KNOWN_LIMIT + 1
        c, day = divmod(c, _DAY_STRIDE)
        c, i = divmod(c, size)
        c, b = divmod(c, 2)
        m, t = divmod(c, size)
        idx = self._group((models[m], day - _DAY_OFFSET, tiers[t], bool(b), images[i]))
        return idx, models[m] is not None and self._registry[idx].model == models[m]

    def _group(self, gkey: tuple[Any, ...]) -> int:
        """The table row of a (model, day, tier, batch, image key), resolved when new."""
        g = self.groups.get(gkey)
        if g is None:
            m, d, t, b, ik = gkey
            g = self.groups[gkey] = _resolve(
                self.cat, m, _EPOCH + timedelta(days=d), t, b, ik, self.shared
            )
        return g.idx if g.idx >= 0 else self._register(g)

    def _group_ids(self, keys: list[tuple[Any, list[Any]]], n: int) -> tuple[Any, bool]:
        """Each row's index in the rate tables, from its key columns' (codes, values), and
        whether every row's model name is the one its resolution gives.

        The codes are combined into one integer per row (in place, in numpy) and
        dictionary-encoded once; each distinct combination is decoded (vectorised) into its
        key and resolved once per kernel. A key with one value (codes None) costs nothing.
        """
        pa, pc, np = self.pa, self.pc, self.np
        code: Any = None
        space = 1
        ops: list[tuple[str, Any]] = []  # how to decode a combined code, in building order
        for codes, values in keys:
            size = len(values)
            if codes is not None and size > 1:
                c = codes.to_numpy(zero_copy_only=False)
                if code is None:
                    code, space = c.astype(np.int64), size
                else:
                    if space * size >= _CODE_LIMIT:  # compact the codes so far first
                        enc = pc.dictionary_encode(pa.array(code))
                        ops.append(("dict", enc.dictionary.to_numpy()))
                        code = enc.indices.to_numpy().astype(np.int64)
                        space = len(enc.dictionary)
                    code *= size
                    code += c
                    space *= size
            ops.append(("key", size))
        if code is None:
            code = np.zeros(n, dtype=np.int64)
        code = pa.array(code)
        enc = pc.dictionary_encode(code)
        u = np.asarray(enc.dictionary.to_numpy(), dtype=np.int64)
        parts: list[Any] = []
        for op, arg in reversed(ops):
            if op == "key":
                parts.append(u % arg)
                u = u // arg
            else:
                u = arg[u]
        parts.reverse()
        columns = [
            [values[i] for i in idx.tolist()] for (_, values), idx in zip(keys, parts, strict=True)
        ]
        decoded = list(zip(*columns, strict=True))
        index = [self._group(gkey) for gkey in decoded]
        registry = self._registry
        as_given = all(
            registry[i].model == key[0] and key[0] is not None
            for i, key in zip(index, decoded, strict=True)
        )
        return pc.take(pa.array(index, pa.int32()), enc.indices), as_given

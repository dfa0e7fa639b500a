"""Totals over many calls: `summarize` and the streaming file reader `iter_records`.

How it stays fast and flat on large files: each record is reduced to a few integer counts added
into a bucket keyed by (model, day, tier, batch, endpoint, long-context flag); nothing per record
is kept. Pricing is linear in the counts, so each bucket is priced once at the end with the same
`pricing.price` as a single call (a bucket of requests below a long-context threshold is priced
with the short-context rates even when its sum is above the threshold). The common record, a
Chat Completions body (alone or in a Batch output line), is counted straight from the parsed
JSON (for files, in one fused read-parse-count loop: `_Aggregator.add_lines`); every other
shape goes through `extract_usage`.

Nothing is dropped: records that cannot be priced are counted and listed with their location
and reason (malformed, unknown model, no rate), failed requests (Batch error lines, non-200
lines) are counted as failed, and stream pieces without usage are counted as stream parts; a
chat stream that never got its usage chunk is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ._totals import GroupTotal, Problem, Summary
from .catalog import Catalog, catalog, to_date
from .errors import (
    FailedRequestError,
    OpenAICostError,
    PriceNotInForceError,
    UnknownModelError,
)
from .pricing import normalize_tier, price
from .types import MAX_TIMESTAMP, USAGE_COUNT_FIELDS, Call, ModelPrice, Usage
from .usage import (
    CHAT_COMPLETION_DETAIL_KEYS,
    CHAT_PROMPT_DETAIL_KEYS,
    CHAT_USAGE_KEYS,
    USAGE_EVENTS,
    Item,
    Records,
    extract_usage,
    iter_records,
)
from .usage._files import BLANK, _orjson_loads, parse_line
from .usage._typed import typed_decoders

__all__ = [
    "GROUP_FIELDS",
    "GroupTotal",
    "Item",
    "Problem",
    "Record",
    "Summary",
    "iter_records",
    "summarize",
]

GROUP_FIELDS: tuple[str, ...] = ("model", "day", "endpoint", "tier")
"""What `summarize(by=...)` can group by."""

_COUNT_FIELDS = USAGE_COUNT_FIELDS
# bucket layout: [calls, *_COUNT_FIELDS, audio_seconds, tool_calls, first (source, line)]
_N = len(_COUNT_FIELDS)
_I_IN, _I_OUT, _I_CACHED = 1, 2, 3
_I_REASONING = 1 + _COUNT_FIELDS.index("reasoning_tokens")
_I_REJECTED = 1 + _COUNT_FIELDS.index("rejected_prediction_tokens")
_I_ACCEPTED = 1 + _COUNT_FIELDS.index("accepted_prediction_tokens")
_I_SECONDS = _N + 1
_I_TOOLS = _N + 2
_I_FIRST = _N + 3

# the Chat Completions usage keys analyze's fast path reads straight from JSON (the usage
# wing's tables; anything else goes through extract_usage)
_FAST_TOP = CHAT_USAGE_KEYS
_FAST_PD = CHAT_PROMPT_DETAIL_KEYS
_FAST_CD = CHAT_COMPLETION_DETAIL_KEYS
_NO_LIMIT = 1 << 62
# the counts every text model prices (cached and reasoning fall back to input and output)
_PLAIN = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
_OWN = frozenset(_COUNT_FIELDS) - {
    *_PLAIN,
    "rejected_prediction_tokens",
    "accepted_prediction_tokens",
}
_EPOCH = date(1970, 1, 1)
_MISSING: Any = object()

Record = Item
"""Former name of `Item` (one value read from a file), kept for code that imports it."""


# --------------------------------------------------------------------------- aggregation


class _Aggregator:
    """Adds records into buckets; prices the buckets once at the end."""

    def __init__(
        self,
        by: tuple[str, ...],
        *,
        at: date | None,
        batch: bool,
        since: date | None,
        until: date | None,
        prices: Catalog | None,
        max_listed: int,
    ) -> None:
        self.by = by
        self.at = at
        self.batch = batch
        self.since = None if since is None else (since - _EPOCH).days
        self.until = None if until is None else (until - _EPOCH).days
        self.cat = prices if prices is not None else catalog()
        self.max_listed = max_listed
        self.buckets: dict[tuple[Any, ...], list[Any]] = {}
        self.thresholds: dict[tuple[str, int | None], int | None] = {}
        self.chat_slots: dict[tuple[Any, ...], list[Any]] = {}
        self.ranged = since is not None or until is not None
        self.unknown: dict[str, list[Any]] = {}
        self.unknown_reasons: dict[str, str] = {}  # model -> [count, first location, reason]
        self.not_in_force: dict[tuple[str, int | None], str] = {}  # (model, day) -> reason
        self.early: dict[tuple[str, str], list[Any]] = {}  # (model, reason) -> [count, where]
        self.problems: list[Problem] = []
        self.open_streams: dict[Any, str] = {}
        self.records = 0
        self.malformed = 0
        self.unpriced = 0
        self.failed = 0
        self.parts = 0
        self.filtered = 0
        self.listed = 0
        self.unlisted = 0

    # ------------------------------------------------------------------ problems
    def problem(self, kind: str, reason: str, where: str, model: str | None = None) -> None:
        if kind == "failed":
            self.failed += 1
        elif kind == "malformed":
            self.malformed += 1
        else:
            self.unpriced += 1
        if self.listed < self.max_listed:
            self.listed += 1
            self.problems.append(Problem(kind, reason, where, 1, model))
        else:
            self.unlisted += 1

    def _threshold(self, model: str, day: int | None) -> int | None:
        when = (
            self.at
            if self.at is not None
            else (None if day is None else _EPOCH + timedelta(days=day))
        )
        try:
            mp = self.cat.resolve(model, when)
        except UnknownModelError as e:
            self.thresholds[(model, day)] = None
            self.unknown_reasons[model] = str(e)
            return None
        except PriceNotInForceError as e:
            self.thresholds[(model, day)] = None
            self.not_in_force[(model, day)] = str(e)
            return None
        lc = mp.period.long_context
        thr = _NO_LIMIT if lc is None else lc.threshold
        self.thresholds[(model, day)] = thr
        return thr

    def _unknown_model(self, model: str, where: str, day: int | None, n: int = 1) -> None:
        """Count ``n`` calls of a model with no price on ``day``: unknown, or known but asked
        before its first price (one problem per model and reason)."""
        self.unpriced += n
        reason = self.not_in_force.get((model, day))
        if reason is not None:
            early = self.early.get((model, reason))
            if early is None:
                self.early[(model, reason)] = [n, where]
            else:
                early[0] += n
            return
        u = self.unknown.get(model)
        if u is None:
            why = self.unknown_reasons.get(model, f"unknown model {model!r}")
            self.unknown[model] = [n, where, why]
        else:
            u[0] += n

    # ------------------------------------------------------------------ adding
    def add(self, obj: Any, where: Any) -> None:
        if type(obj) is dict:
            if "custom_id" in obj:
                resp = obj.get("response")
                if (
                    obj.get("error") is None
                    and type(resp) is dict
                    and resp.get("status_code") == 200
                ):
                    body = resp.get("body")
                    if (
                        type(body) is dict
                        and body.get("object") == "chat.completion"
                        and self._fast(body, True, where)
                    ):
                        return
            else:
                o = obj.get("object")
                if o == "chat.completion":
                    if self._fast(obj, self.batch, where):
                        return
                elif o == "chat.completion.chunk" or o == "text_completion":
                    if obj.get("usage") is None and o == "chat.completion.chunk":
                        self.parts += 1
                        self.open_streams.setdefault(("chat", obj.get("id")), _loc(where))
                        return
                    self.open_streams.pop(("chat", obj.get("id")), None)
                elif o is None:
                    typ = obj.get("type")
                    if (
                        isinstance(typ, str)
                        and typ not in USAGE_EVENTS
                        and obj.get("usage") is None
                    ):
                        self._stream_event(typ, obj, where)
                        return
                    if isinstance(typ, str) and typ in USAGE_EVENTS:
                        inner = obj.get("response")
                        if type(inner) is dict:
                            self.open_streams.pop(("resp", inner.get("id")), None)
        self._general(obj, where)

    def add_lines(
        self,
        name: str,
        n: int,
        lines: Iterator[bytes],
        tell: Callable[[], int] | None,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        """The fused loop over a JSON Lines file's lines: parse and count, one at a time (a
        Batch line counted in place, located by a ``(file, line)`` tuple; others via `add`)."""
        loads, fast, add, new = _orjson_loads(), self._fast, self.add, tuple.__new__
        slots, ranged, count = self.chat_slots, self.ranged, 0
        top, pdk, cdk, i_cached = _FAST_TOP, _FAST_PD, _FAST_CD, _I_CACHED
        # Typed decoding first (Batch lines, then chat bodies): only the priced fields are
        # built. A line it refuses, or one it decodes but cannot count here, is read below as
        # before; a file whose lines it keeps refusing is not tried any more. The same rules
        # as `usage._typed.chat_bodies` (table.from_records' reader), written out here: as a
        # generator they cost 0.7 us a line, a quarter of this loop.
        typed = None if ranged else typed_decoders()
        kinds = [] if typed is None else [(typed.batch_line, True), (typed.chat_body, False)]
        decode, is_batch = kinds.pop(0) if kinds else (None, False)
        refused = ok = 0
        refusal = typed.error if typed is not None else ValueError
        unset, batch_default = typed.unset if typed is not None else None, self.batch
        for line in lines:
            n += 1
            if tell is not None and not n & 0x1FFF:
                on_progress(tell())  # type: ignore[misc]
            if decode is not None:
                try:
                    t = decode(line)
                except refusal:
                    refused += 1
                    if refused > 64 and refused > 4 * ok:  # not this kind of file
                        decode, is_batch = kinds.pop(0) if kinds else (None, False)
                        refused = ok = 0
                else:
                    ok += 1
                    if is_batch:
                        r = t.response
                        body = (
                            None
                            if t.error is not None or r is None or r.status_code != 200
                            else r.body
                        )
                        tier, bt = None, True
                    else:
                        body = t if t.custom_id is unset else None
                        tier, bt = (None, True) if batch_default else (t.service_tier, False)
                    if body is not None:
                        u = body.usage
                        inp, out = u.prompt_tokens, u.completion_tokens
                        pdt, cdt = u.prompt_tokens_details, u.completion_tokens_details
                        cached = 0 if pdt is None else pdt.cached_tokens or 0
                        if cdt is None:
                            reasoning = rejected = accepted = 0
                        else:
                            reasoning = cdt.reasoning_tokens or 0
                            rejected = cdt.rejected_prediction_tokens or 0
                            accepted = cdt.accepted_prediction_tokens or 0
                        if (
                            cached <= inp
                            and reasoning <= out
                            and rejected <= out
                            and (slot := slots.get((body.model, body.created // 86400, tier, bt)))
                            is not None
                            and (b := slot[2] if inp > slot[0] else slot[1]) is not None
                        ):
                            count += 1
                            _count(b, inp, out, cached, reasoning, rejected, accepted)
                            continue
            try:
                d = loads(line)
            except ValueError:  # orjson refused it: json decides, as iter_records does
                obj = parse_line(line)
                if obj is not BLANK:
                    count += 1
                    add(obj, new(Item, (name, n, obj)))
                continue
            count += 1
            if not (
                type(d) is dict
                and "custom_id" in d
                and type(resp := d.get("response")) is dict
                and resp.get("status_code") == 200
                and type(body := resp.get("body")) is dict
                and body.get("object") == "chat.completion"
                and d.get("error") is None
            ):
                add(d, new(Item, (name, n, d)))
                continue
            # The common Batch line, counted here: `_fast`'s checks in the order they usually
            # pass, the details' zeros checked at once. Anything else (extra keys, non-zero
            # audio, reasoning or prediction tokens, a date filter, a new group, long context)
            # goes to `_fast` itself, which decides as before.
            u = body.get("usage")
            created = body.get("created")
            cached = 0
            if (
                ranged
                or type(u) is not dict
                or type(body.get("model")) is not str
                or type(created) is not int
                or type(inp := u.get("prompt_tokens")) is not int
                or type(out := u.get("completion_tokens", 0)) is not int
                or inp < 0
                or out < 0
                or not u.keys() <= top
                or (
                    (cd := u.get("completion_tokens_details"))
                    and (type(cd) is not dict or any(cd.values()) or not cd.keys() <= cdk)
                )
                or (
                    (pd := u.get("prompt_tokens_details"))
                    and (
                        type(pd) is not dict
                        or not pd.keys() <= pdk
                        or pd.get("audio_tokens")
                        or pd.get("image_tokens")
                        or pd.get("cache_write_tokens")
                        or type(cached := pd.get("cached_tokens") or 0) is not int
                        or not 0 <= cached <= inp
                    )
                )
                or (slot := slots.get((body["model"], created // 86400, None, True))) is None
                or inp > slot[0]
                or (b := slot[1]) is None
            ):
                if not fast(body, True, (name, n)):
                    add(d, new(Item, (name, n, d)))
                continue
            b[0] += 1
            b[1] += inp
            b[2] += out
            if cached:
                b[i_cached] += cached
        self.records += count

    def _stream_event(self, typ: str, obj: dict[str, Any], where: Any) -> None:
        self.parts += 1
        if typ == "response.created":
            inner = obj.get("response")
            if type(inner) is dict:
                self.open_streams.setdefault(("resp", inner.get("id")), _loc(where))

    def _fast(self, body: dict[str, Any], batch: bool, where: Any) -> bool:
        """Count a Chat Completions body straight from its JSON; False: use the full path."""
        u = body.get("usage")
        model = body.get("model")
        created = body.get("created")
        if type(u) is not dict or type(model) is not str or type(created) is not int:
            return False
        if not 0 <= created <= MAX_TIMESTAMP:
            return False  # the full path says what is wrong with it
        inp = u.get("prompt_tokens")
        out = u.get("completion_tokens", 0)
        if type(inp) is not int or type(out) is not int or inp < 0 or out < 0:
            return False
        if not u.keys() <= _FAST_TOP:
            return False
        cached = reasoning = rejected = accepted = 0
        pd = u.get("prompt_tokens_details")
        if pd:
            if type(pd) is not dict or not pd.keys() <= _FAST_PD:
                return False
            if pd.get("audio_tokens") or pd.get("image_tokens") or pd.get("cache_write_tokens"):
                return False
            cached = pd.get("cached_tokens") or 0
            if type(cached) is not int or not 0 <= cached <= inp:
                return False
        cd = u.get("completion_tokens_details")
        # the common details hold only zeros (falsy values count as zero, as below): one check
        if cd and (type(cd) is not dict or any(cd.values())):
            if type(cd) is not dict or not cd.keys() <= _FAST_CD or cd.get("audio_tokens"):
                return False
            reasoning = cd.get("reasoning_tokens") or 0
            rejected = cd.get("rejected_prediction_tokens") or 0
            accepted = cd.get("accepted_prediction_tokens") or 0
            if type(reasoning) is not int or type(rejected) is not int or type(accepted) is not int:
                return False
            if not (0 <= reasoning <= out and 0 <= rejected <= out and accepted >= 0):
                return False
        elif cd and not cd.keys() <= _FAST_CD:
            return False
        tier = None if batch else body.get("service_tier")
        if tier is not None and type(tier) is not str:
            return False
        day = created // 86400
        if self.ranged and (
            (self.since is not None and day < self.since)
            or (self.until is not None and day > self.until)
        ):
            self.filtered += 1
            return True
        # one lookup per line: (model, day, tier, batch) -> [threshold, short bucket, long bucket]
        slot = self.chat_slots.get((model, day, tier, batch))
        if slot is None:
            thr = self.thresholds.get((model, day), _MISSING)
            if thr is _MISSING:
                thr = self._threshold(model, day)
            if thr is None:
                self._unknown_model(model, _loc(where), day)
                return True
            slot = self.chat_slots[(model, day, tier, batch)] = [thr, None, None]
        long_ctx = inp > slot[0]
        b = slot[2] if long_ctx else slot[1]
        if b is None:
            key = (model, day, tier, batch, "chat.completions", long_ctx, None)
            b = self.buckets.get(key)
            if b is None:
                b = self.buckets[key] = _new_bucket(where)
            slot[2 if long_ctx else 1] = b
        _count(b, inp, out, cached, reasoning, rejected, accepted)
        return True

    def _general(self, obj: Any, where: Any) -> None:
        if isinstance(obj, Exception):
            self.problem("malformed", str(obj), _loc(where))
            return
        try:
            call = extract_usage(obj)
        except FailedRequestError as e:
            self.problem("failed", str(e), _loc(where))
            return
        except OpenAICostError as e:
            self.problem("malformed", str(e), _loc(where))
            return
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            self.problem("malformed", f"unexpected shape: {type(e).__name__}: {e}", _loc(where))
            return
        model = call.model
        if not model:
            self.problem(
                "unpriced",
                f"the {call.endpoint or 'response'} names no model; log the request's model "
                'with it ({"request": ..., "response": ...})',
                _loc(where),
            )
            return
        self.add_call(call, model, where, _loc(where))

    def add_call(self, call: Call, model: str, where: Any, loc: str) -> None:
        """Add an extracted call (as every engine does); `loc` names it in problems."""
        created = call.created_at
        day = None if created is None else int(created.timestamp() // 86400)
        if self.ranged and (
            day is None
            or (self.since is not None and day < self.since)
            or (self.until is not None and day > self.until)
        ):
            self.filtered += 1
            return
        batch = call.batch or self.batch
        tier = None if batch else call.service_tier
        thr = self.thresholds.get((model, day), _MISSING)
        if thr is _MISSING:
            thr = self._threshold(model, day)
        if thr is None:
            self._unknown_model(model, loc, day)
            return
        u = call.usage
        image = (u.image_size, u.image_quality) if u.images else None
        key: tuple[Any, ...] = (model, day, tier, batch, call.endpoint, u.input_tokens > thr, image)
        counts = [getattr(u, name) for name in _COUNT_FIELDS]
        # A call with a dimension that may have no rate (audio, images, cache writes, tools...)
        # gets a bucket of its own per such set, so that it alone is unpriced when the rate is
        # missing, not the plain calls it would otherwise be summed with.
        own = tuple(n for n, v in zip(_COUNT_FIELDS, counts, strict=True) if v and n in _OWN)
        if own or u.tool_calls or u.audio_seconds:
            key += ((*own, *sorted(u.tool_calls or ()), "s" if u.audio_seconds else ""),)
        b = self.buckets.get(key)
        if b is None:
            b = self.buckets[key] = _new_bucket(where)
        b[0] += 1
        for i, v in enumerate(counts, 1):
            if v:
                b[i] += v
        if u.audio_seconds:
            b[_I_SECONDS] += u.audio_seconds
        if u.tool_calls:
            tools = b[_I_TOOLS]
            if tools is None:
                tools = b[_I_TOOLS] = {}
            for k, v in u.tool_calls.items():
                tools[k] = tools.get(k, 0) + v

    # ------------------------------------------------------------------ pricing
    def finish(self) -> Summary:
        for (kind, sid), where in self.open_streams.items():
            if kind == "chat":
                self.problem("malformed", f"stream {sid!r}: " + _NO_USAGE, where)
            else:
                self.problem(
                    "malformed",
                    f"response {sid!r}: the stream ended before response.completed "
                    "(.incomplete / .failed); no usage arrived",
                    where,
                )
        problems = list(self.problems)
        for model, (count, where, reason) in sorted(self.unknown.items()):
            problems.append(Problem("unknown_model", reason, where, count, model))
        for (model, reason), (count, where) in sorted(self.early.items()):
            problems.append(Problem("unpriced", reason, where, count, model))
        groups: dict[tuple[str, ...], list[Any]] = {}
        total_usage: dict[str, int | Decimal] = {}
        tin = tout = tfees = Decimal(0)
        calls = 0
        for key, b in sorted(self.buckets.items(), key=_bucket_order):
            model, day, tier, batch, endpoint, long_ctx, image = key[:7]
            try:
                usage = _usage_of(b, image)
                mp = self._price_entry(model, day)
                # the bucket sums requests that were each on one side of the threshold
                cost = price(usage, mp, tier=tier, batch=batch, long_context=long_ctx)
                tier_label = "batch" if batch else normalize_tier(tier)
            except OpenAICostError as e:
                self.unpriced += b[0]
                problems.append(Problem("unpriced", str(e), _loc(b[_I_FIRST]), b[0], model))
                continue
            gkey = tuple(_group_value(f, model, day, tier_label, endpoint) for f in self.by)
            g = groups.get(gkey)
            if g is None:
                g = groups[gkey] = [0, {}, Decimal(0), Decimal(0), Decimal(0), []]
            g[0] += b[0]
            _merge(g[1], b)
            _merge(total_usage, b)
            g[2] += cost.input
            g[3] += cost.output
            g[4] += cost.fees
            g[5].append(cost)
            tin += cost.input
            tout += cost.output
            tfees += cost.fees
            calls += b[0]
        out = tuple(
            GroupTotal(
                dict(zip(self.by, k, strict=True)), g[0], g[1], g[2], g[3], g[4], tuple(g[5])
            )
            for k, g in sorted(groups.items())
        )
        return Summary(
            by=self.by,
            groups=out,
            records=self.records,
            calls=calls,
            input_usd=tin,
            output_usd=tout,
            fees_usd=tfees,
            usage=total_usage,
            unknown_models={m: u[0] for m, u in sorted(self.unknown.items())},
            malformed=self.malformed,
            unpriced=self.unpriced,
            failed=self.failed,
            stream_parts=self.parts,
            filtered=self.filtered,
            problems=tuple(problems),
            unlisted=self.unlisted,
        )

    def _price_entry(self, model: str, day: int | None) -> ModelPrice:
        when = (
            self.at
            if self.at is not None
            else (None if day is None else _EPOCH + timedelta(days=day))
        )
        return self.cat.resolve(model, when)


_NO_USAGE = (
    "the chat stream has no usage chunk: request it with "
    'stream_options={"include_usage": True} (a stream cut before its last chunk has none either)'
)


def _loc(where: Any) -> str:
    # an Item, a (file, line) tuple from the fused loop, or "#n"
    if type(where) is Item or type(where) is tuple:
        return f"{where[0]}:{where[1]}"
    return str(where)


def _count(
    b: list[Any], inp: int, out: int, cached: int, reasoning: int, rejected: int, accepted: int
) -> None:
    """Add one Chat call's counts to its bucket."""
    b[0] += 1
    b[_I_IN] += inp
    b[_I_OUT] += out
    if cached:
        b[_I_CACHED] += cached
    if reasoning:
        b[_I_REASONING] += reasoning
    if rejected:
        b[_I_REJECTED] += rejected
    if accepted:
        b[_I_ACCEPTED] += accepted


def _new_bucket(where: Any) -> list[Any]:
    b: list[Any] = [0] * (_N + 1)
    b.append(Decimal(0))
    b.append(None)
    b.append(_loc(where))
    return b


def _usage_of(b: list[Any], image: tuple[str | None, str | None] | None) -> Usage:
    kw: dict[str, Any] = {name: b[i] for i, name in enumerate(_COUNT_FIELDS, 1) if b[i]}
    if b[_I_SECONDS]:
        kw["audio_seconds"] = b[_I_SECONDS]
    if b[_I_TOOLS]:
        kw["tool_calls"] = b[_I_TOOLS]
    if image is not None:
        kw["image_size"], kw["image_quality"] = image
    return Usage(**kw)


def _merge(into: dict[str, int | Decimal], b: list[Any]) -> None:
    for i, name in enumerate(_COUNT_FIELDS, 1):
        v = b[i]
        if v:
            into[name] = into.get(name, 0) + v
    if b[_I_SECONDS]:
        into["audio_seconds"] = into.get("audio_seconds", Decimal(0)) + b[_I_SECONDS]
    for k, v in (b[_I_TOOLS] or {}).items():
        into[k] = into.get(k, 0) + v


def _bucket_order(item: tuple[tuple[Any, ...], list[Any]]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in item[0])


def _group_value(f: str, model: str, day: int | None, tier: str, endpoint: str | None) -> str:
    if f == "model":
        return model
    if f == "day":
        return "undated" if day is None else (_EPOCH + timedelta(days=day)).isoformat()
    if f == "tier":
        return tier
    return endpoint or "unknown"


def summarize(
    objs: Iterable[Any],
    *,
    by: str | Sequence[str] = ("model",),
    at: date | datetime | str | None = None,
    batch: bool = False,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    prices: Catalog | None = None,
    max_listed: int = 1000,
) -> Summary:
    """Tokens per dimension and cost per group over many responses.

    Args:
        objs: responses, streams, events, Batch output lines, log records: anything
            `extract_usage` reads; or the `Item` values of `iter_records` (then problems name
            ``file:line``; otherwise ``#n``, the item's position from 1).
        by: group by ``"model"`` (as reported), ``"day"`` (UTC, of ``created``),
            ``"endpoint"`` and/or ``"tier"`` (``default``, ``flex``, ``priority``, ``scale``,
            ``batch``).
        at: price everything at this date instead of each call's own date.
        batch: price every call at Batch rates (Batch output lines always are).
        since: skip calls created before this day (UTC); undated calls are skipped too.
        until: skip calls created after this day (UTC, inclusive).
        prices: a `Catalog` instead of the shared one.
        max_listed: list at most this many malformed and failed items individually (they are
            all counted).

    Returns:
        A `Summary`. Unknown models are listed with their counts, malformed items with their
        reason; nothing is dropped and nothing is priced at $0.

    Raises:
        ValueError: ``by`` names a field that is not in `GROUP_FIELDS`.
    """
    fields = (by,) if isinstance(by, str) else tuple(by)
    bad = [f for f in fields if f not in GROUP_FIELDS]
    if bad or not fields:
        raise ValueError(f"cannot group by {bad or fields!r}; valid: {', '.join(GROUP_FIELDS)}")
    agg = _Aggregator(
        fields,
        at=None if at is None else to_date(at),
        batch=batch,
        since=None if since is None else to_date(since),
        until=None if until is None else to_date(until),
        prices=prices,
        max_listed=max_listed,
    )
    add = agg.add
    n = 0
    if type(objs) is Records:
        # files: their JSON Lines go through the fused loop, the rest arrives as items
        for item in objs.items(agg.add_lines):
            n += 1
            add(item[2], item)
    else:
        for n, item in enumerate(objs, 1):
            if type(item) is Item:
                add(item[2], item)
            else:
                add(item, f"#{n}")
    agg.records += n
    return agg.finish()

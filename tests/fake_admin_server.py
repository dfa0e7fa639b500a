"""A local fake of OpenAI's organisation Usage and Costs APIs on 127.0.0.1.

Its answers are generated from one list of synthetic calls (`SynthCall`), so a test can make
the ledger, the usage and the bill disagree in exactly one way and check the finding:

* usage: every ``/v1/organization/usage/{endpoint}`` in daily buckets, grouped by the
  ``group_by`` fields asked for (``group_by[]=model`` as the SDK sends it, or repeated
  ``group_by=model``), other dimension fields ``null``; completions results in the schema of
  their day (before 2026-07-15 ``input_audio_tokens`` includes cached audio and the per-modality
  fields are absent; from 2026-07-15 they are present and uncached only);
* costs: ``/v1/organization/costs``, one line item per model, tier and billed dimension
  (``[<tier> | ]<model>[ <modality>], <direction>``), amounts from `BILLING_RATES` (or a test's
  override), ``quantity`` in tokens when grouped by line item, ``amount.value`` a JSON number
  with long decimals (or a string when ``amount_as_string``), plus any extra line items;
* pages of ``limit`` buckets with an opaque ``next_page`` cursor; the first bucket starts at
  ``start_time``, later ones at UTC midnight; days without calls are empty buckets;
* 400 for a bad parameter (unknown parameter or ``group_by`` field, bad ``limit`` or
  ``bucket_width``, missing ``start_time``, bad cursor), 401 without the admin key, 429 with
  ``Retry-After`` for the first ``fail_429`` requests.

Shapes follow the ``openai`` SDK's ``openai.types.admin.organization.usage_*_response`` types.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN_KEY = "sk-admin-fake-0123456789"
SCHEMA_CHANGE = date(2026, 7, 15)

# USD per 1M tokens that the fake bills at (the bill's truth). From openai-billing.md:
# gpt-4o-2024-08-06 $2.50 input / $1.25 cached / $10.00 output (section 3.1, and the
# 2025-01-08 table), Priority $4.25 / $2.125 / $17.00 (section 2.5); gpt-4o-mini-2024-07-18
# $0.15 / $0.075 / $0.60 (section 3.1), Batch 50%: $0.075 / $0.30 (section 2.3);
# text-embedding-3-small $0.02 (2025-01-08 table).
BILLING_RATES: dict[tuple[str, str], dict[str, Decimal]] = {
    ("gpt-4o-2024-08-06", "default"): {
        "input": Decimal("2.50"),
        "cached_input": Decimal("1.25"),
        "output": Decimal("10.00"),
    },
    ("gpt-4o-2024-08-06", "priority"): {
        "input": Decimal("4.25"),
        "cached_input": Decimal("2.125"),
        "output": Decimal("17.00"),
    },
    ("gpt-4o-mini-2024-07-18", "default"): {
        "input": Decimal("0.15"),
        "cached_input": Decimal("0.075"),
        "output": Decimal("0.60"),
    },
    ("gpt-4o-mini-2024-07-18", "batch"): {
        "input": Decimal("0.075"),
        "cached_input": Decimal("0.075"),
        "output": Decimal("0.30"),
    },
    ("text-embedding-3-small", "default"): {"input": Decimal("0.02")},
}

USAGE_GROUP_BY = {
    "completions": {"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"},
    "embeddings": {"project_id", "user_id", "api_key_id", "model"},
    "moderations": {"project_id", "user_id", "api_key_id", "model"},
    "images": {"project_id", "user_id", "api_key_id", "model", "size", "source"},
    "audio_speeches": {"project_id", "user_id", "api_key_id", "model"},
    "audio_transcriptions": {"project_id", "user_id", "api_key_id", "model"},
    "web_search_calls": {"project_id", "user_id", "api_key_id", "model", "context_level"},
    "file_search_calls": {"project_id", "user_id", "api_key_id", "vector_store_id"},
    "code_interpreter_sessions": {"project_id"},
    "vector_stores": {"project_id"},
}
COSTS_GROUP_BY = {"project_id", "line_item", "api_key_id", "user_id"}
DIMS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
_OBJECT = {
    "completions": "organization.usage.completions.result",
    "embeddings": "organization.usage.embeddings.result",
    "web_search_calls": "organization.usage.web_searches.result",
}


@dataclass(frozen=True)
class SynthCall:
    """One API call as the organisation saw it."""

    request_id: str
    at: datetime
    model: str
    project_id: str
    api_key_id: str
    user_id: str | None
    endpoint: str = "completions"
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    audio_input_tokens: int = 0
    cached_audio_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_12h_tokens: int = 0
    batch: bool = False
    service_tier: str = "default"

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def tier(self) -> str:
        return "batch" if self.batch else self.service_tier


def synthetic_calls(seed: int, start: date, days: int, per_day: int) -> list[SynthCall]:
    """A seeded list of text calls to gpt-4o and gpt-4o-mini (some Priority, some Batch) and
    embeddings, over several projects, API keys and users."""
    rng = random.Random(seed)
    out = []
    for d in range(days):
        day = start + timedelta(days=d)
        for i in range(per_day):
            at = datetime.combine(day, time(0), tzinfo=timezone.utc) + timedelta(
                seconds=rng.randrange(86_400)
            )
            kind = rng.random()
            common = {
                "request_id": f"req_{seed}_{d}_{i}",
                "at": at,
                "project_id": rng.choice(["proj_alpha", "proj_beta"]),
                "api_key_id": rng.choice(["key_a", "key_b", "key_c"]),
                "user_id": rng.choice(["user_1", "user_2", None]),
            }
            if kind < 0.15:
                out.append(
                    SynthCall(
                        **common,
                        model="text-embedding-3-small",
                        endpoint="embeddings",
                        input_tokens=rng.randrange(1, 5000),
                    )
                )
                continue
            model = "gpt-4o-2024-08-06" if kind < 0.55 else "gpt-4o-mini-2024-07-18"
            inp = rng.randrange(10, 20_000)
            cached = (inp // 128 * 128) if inp >= 1024 and rng.random() < 0.4 else 0
            tier = "default"
            batch = False
            if model == "gpt-4o-2024-08-06" and rng.random() < 0.2:
                tier = "priority"
            if model == "gpt-4o-mini-2024-07-18" and rng.random() < 0.2:
                batch = True
            out.append(
                SynthCall(
                    **common,
                    model=model,
                    input_tokens=inp,
                    cached_tokens=cached,
                    output_tokens=rng.randrange(1, 4000),
                    batch=batch,
                    service_tier=tier,
                )
            )
    return out


def billed_dimensions(c: SynthCall) -> dict[str, int]:
    """Exclusive token counts of a call per billed dimension."""
    if c.endpoint == "embeddings":
        return {"input": c.input_tokens}
    dims = {
        "input": c.input_tokens - c.cached_tokens - (c.audio_input_tokens - c.cached_audio_tokens),
        "cached_input": c.cached_tokens - c.cached_audio_tokens,
        "output": c.output_tokens,
    }
    if c.audio_input_tokens:
        dims["audio_input"] = c.audio_input_tokens - c.cached_audio_tokens
        dims["cached_audio_input"] = c.cached_audio_tokens
    return dims


_LINE_NAMES = {
    "input": ("", "input"),
    "cached_input": ("", "cached input"),
    "output": ("", "output"),
    "audio_input": (" audio", "input"),
    "cached_audio_input": (" audio", "cached input"),
}


def line_item(model: str, tier: str, dimension: str) -> str:
    """The Costs API's name for one billed dimension."""
    modality, direction = _LINE_NAMES[dimension]
    prefix = "" if tier == "default" else f"{tier} | "
    return f"{prefix}{model}{modality}, {direction}"


@dataclass
class FakeAdmin:
    """The state behind the server: calls, billing rates, extra line items, failure knobs."""

    calls: list[SynthCall]
    rates: dict[tuple[str, str], dict[str, Decimal]] = field(
        default_factory=lambda: {k: dict(v) for k, v in BILLING_RATES.items()}
    )
    extra_costs: list[dict[str, Any]] = field(default_factory=list)
    """Each: day, line_item, amount (Decimal), project_id, api_key_id."""
    unbilled_models: set[str] = field(default_factory=set)
    """Models the bill leaves out."""
    amount_as_string: bool = False
    with_quantity: bool = True
    """Costs results carry quantity and quantity_unit (as they do since 2026-08-21)."""
    fail_429: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- usage
    def usage_results(
        self, endpoint: str, lo: int, hi: int, group_by: set[str], q: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], list[SynthCall]] = defaultdict(list)
        projects = set(q.get("project_ids", []))
        for c in self.calls:
            ts = c.at.timestamp()
            if c.endpoint != endpoint or not (lo <= ts < hi):
                continue
            if projects and c.project_id not in projects:
                continue
            key = tuple(getattr(c, d) if d in group_by else None for d in DIMS)
            groups[key].append(c)
        results = []
        day = datetime.fromtimestamp(lo, timezone.utc).date()
        for key, cs in sorted(groups.items(), key=lambda kv: repr(kv[0])):
            r: dict[str, Any] = {"object": _OBJECT[endpoint]}
            for d, v in zip(DIMS, key, strict=True):
                if endpoint != "completions" and d in ("batch", "service_tier"):
                    continue
                r[d] = v
            r["num_model_requests"] = len(cs)
            if endpoint == "web_search_calls":  # one search call per request here
                r["num_requests"] = len(cs)
                r["context_level"] = None
                results.append(r)
                continue
            r["input_tokens"] = sum(c.input_tokens for c in cs)
            if endpoint == "completions":
                r["output_tokens"] = sum(c.output_tokens for c in cs)
                r["input_cached_tokens"] = sum(c.cached_tokens for c in cs)
                r["output_audio_tokens"] = 0
                audio = sum(c.audio_input_tokens for c in cs)
                c_audio = sum(c.cached_audio_tokens for c in cs)
                if day < SCHEMA_CHANGE:
                    r["input_audio_tokens"] = audio  # includes cached audio
                else:
                    cached = r["input_cached_tokens"]
                    r["input_audio_tokens"] = audio - c_audio  # uncached only
                    r["input_cached_audio_tokens"] = c_audio
                    r["input_cached_text_tokens"] = cached - c_audio
                    r["input_cached_image_tokens"] = 0
                    r["input_image_tokens"] = 0
                    write = sum(c.cache_write_tokens for c in cs)
                    w12 = sum(c.cache_write_12h_tokens for c in cs)
                    r["input_cache_write_tokens"] = write
                    r["input_cache_write_12h_tokens"] = w12
                    r["input_cache_write_30m_tokens"] = write - w12
                    r["input_uncached_tokens"] = r["input_tokens"] - cached - write
                    r["input_text_tokens"] = r["input_tokens"] - cached - write - (audio - c_audio)
                    r["output_text_tokens"] = r["output_tokens"]
                    r["output_image_tokens"] = 0
            results.append(r)
        return results

    # -- costs
    def cost_results(
        self, lo: int, hi: int, group_by: set[str], q: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        projects = set(q.get("project_ids", []))
        sums: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        keyf = ("line_item", "project_id", "api_key_id")
        for c in self.calls:
            ts = c.at.timestamp()
            if not (lo <= ts < hi) or c.model in self.unbilled_models:
                continue
            if projects and c.project_id not in projects:
                continue
            rates = self.rates.get((c.model, c.tier))
            if rates is None:
                continue  # the fake has no rate: the test did not mean this call to be billed
            for dim, n in billed_dimensions(c).items():
                if not n or dim not in rates:
                    continue  # a dimension the fake has no rate for is left off the bill
                vals = {
                    "line_item": line_item(c.model, c.tier, dim),
                    "project_id": c.project_id,
                    "api_key_id": c.api_key_id,
                }
                key = tuple(vals[k] if k in group_by else None for k in keyf)
                acc = sums[key]
                acc[0] += rates[dim] * n / 1_000_000
                acc[1] += n
        for e in self.extra_costs:
            ts = datetime.combine(e["day"], time(0), tzinfo=timezone.utc).timestamp()
            if not (lo <= ts < hi):
                continue
            key = tuple(e.get(k) if k in group_by else None for k in keyf)
            sums[key][0] += e["amount"]
        out = []
        for key, (amount, qty) in sorted(sums.items(), key=lambda kv: repr(kv[0])):
            r: dict[str, Any] = {
                "object": "organization.costs.result",
                "amount": {
                    "value": str(amount) if self.amount_as_string else _Raw(amount),
                    "currency": "usd",
                },
                "line_item": key[0],
                "project_id": key[1],
                "api_key_id": key[2],
            }
            if "line_item" in group_by and self.with_quantity:
                is_tokens = qty > 0
                r["quantity"] = _Raw(qty) if is_tokens else None
                r["quantity_unit"] = "tokens" if is_tokens else None
            out.append(r)
        return out


class _Raw:
    """A decimal written into the JSON as a bare number with all its digits."""

    def __init__(self, d: Decimal) -> None:
        self.text = f"{d:.16f}" if d.as_tuple().exponent < 0 else str(d)  # type: ignore[operator]


def _dumps(obj: Any) -> str:
    raws: list[str] = []

    def default(o: Any) -> Any:
        if isinstance(o, _Raw):
            raws.append(o.text)
            return f"__RAW{len(raws) - 1}__"
        raise TypeError(type(o).__name__)

    text = json.dumps(obj, default=default)
    return re.sub(r'"__RAW(\d+)__"', lambda m: raws[int(m.group(1))], text)


_ALLOWED = {
    "start_time",
    "end_time",
    "bucket_width",
    "limit",
    "page",
    "group_by",
    "project_ids",
    "user_ids",
    "api_key_ids",
    "models",
    "batch",
    "line_items",
}


class _Bad(Exception):
    pass


def _query(raw: str) -> dict[str, list[str]]:
    q: dict[str, list[str]] = {}
    for k, vs in parse_qs(raw, keep_blank_values=True).items():
        name = k[:-2] if k.endswith("[]") else k
        if name not in _ALLOWED:
            raise _Bad(f"Unrecognized request argument supplied: {k}")
        q.setdefault(name, []).extend(vs)
    return q


def _one_int(q: dict[str, list[str]], name: str, required: bool = False) -> int | None:
    vs = q.get(name)
    if not vs:
        if required:
            raise _Bad(f"Missing required parameter: '{name}'.")
        return None
    try:
        return int(vs[-1])
    except ValueError:
        raise _Bad(f"Invalid value for '{name}': {vs[-1]!r} is not an integer.") from None


def _buckets(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) in daily buckets: the first starts at start, later ones at midnight UTC."""
    out = []
    lo = start
    while lo < end:
        d = datetime.fromtimestamp(lo, timezone.utc).date() + timedelta(days=1)
        hi = min(int(datetime.combine(d, time(0), tzinfo=timezone.utc).timestamp()), end)
        out.append((lo, hi))
        lo = hi
    return out


def _handler(state: FakeAdmin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = (body if isinstance(body, str) else _dumps(body)).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-request-id", f"req_fake_{len(state.requests)}")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, code: str | None = None) -> None:
            self._send(
                status,
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "param": None,
                        "code": code,
                    }
                },
            )

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with state.lock:
                state.requests.append(
                    {"path": url.path, "query": url.query, "headers": dict(self.headers)}
                )
                throttle = state.fail_429 > 0
                if throttle:
                    state.fail_429 -= 1
            if self.headers.get("authorization") != f"Bearer {ADMIN_KEY}":
                self._error(401, "Incorrect API key provided.", "invalid_api_key")
                return
            if throttle:
                self._send(
                    429,
                    {"error": {"message": "Rate limit reached", "type": "requests"}},
                    {"retry-after": "1"},
                )
                return
            m = re.fullmatch(r"/v1/organization/(?:usage/(\w+)|(costs))", url.path)
            endpoint = None if m is None else (m.group(1) or m.group(2))
            if endpoint is None or (endpoint != "costs" and endpoint not in USAGE_GROUP_BY):
                self._error(404, f"Invalid URL (GET {url.path})")
                return
            try:
                self._send(200, self._page(endpoint, _query(url.query)))
            except _Bad as e:
                self._error(400, str(e))

        def _page(self, endpoint: str, q: dict[str, list[str]]) -> dict[str, Any]:
            start = _one_int(q, "start_time", required=True)
            assert start is not None
            width = (q.get("bucket_width") or ["1d"])[-1]
            if width != "1d":
                raise _Bad(f"Invalid value for 'bucket_width': {width!r}; this fake serves 1d")
            limit = _one_int(q, "limit")
            top = 180 if endpoint == "costs" else 31
            if limit is None:
                limit = 7
            if not 1 <= limit <= top:
                raise _Bad(f"Invalid value for 'limit': must be between 1 and {top}")
            end = _one_int(q, "end_time")
            if end is None:
                end = start + limit * 86_400
            if end <= start:
                raise _Bad("'end_time' must be after 'start_time'")
            allowed = COSTS_GROUP_BY if endpoint == "costs" else USAGE_GROUP_BY[endpoint]
            group_by = set(q.get("group_by", []))
            bad = group_by - allowed
            if bad:
                raise _Bad(f"Invalid value for 'group_by': {sorted(bad)}; valid: {sorted(allowed)}")
            index = 0
            if q.get("page"):
                try:
                    cursor = json.loads(base64.urlsafe_b64decode(q["page"][-1]))
                    index = int(cursor["i"])
                    if cursor["s"] != start or cursor["e"] != end:
                        raise ValueError
                except Exception:
                    raise _Bad("Invalid value for 'page': not a cursor from this query") from None
            buckets = _buckets(start, end)
            page = buckets[index : index + limit]
            data = []
            for lo, hi in page:
                if endpoint == "costs":
                    results = state.cost_results(lo, hi, group_by, q)
                elif endpoint in _OBJECT:
                    results = state.usage_results(endpoint, lo, hi, group_by, q)
                else:
                    results = []
                data.append(
                    {"object": "bucket", "start_time": lo, "end_time": hi, "results": results}
                )
            more = index + limit < len(buckets)
            nxt = None
            if more:
                cur = {"i": index + limit, "s": start, "e": end, "n": "x9"}
                nxt = base64.urlsafe_b64encode(json.dumps(cur).encode()).decode()
            return {"object": "page", "data": data, "has_more": more, "next_page": nxt}

    return Handler


@dataclass
class Server:
    """A running fake; ``base_url`` is what the SDK's ``base_url`` should be."""

    state: FakeAdmin
    httpd: ThreadingHTTPServer

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"


def serve(state: FakeAdmin) -> Iterator[Server]:
    """Run the fake on a free port of 127.0.0.1 for the duration of a with/fixture."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield Server(state, httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join()

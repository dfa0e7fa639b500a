"""``analyze`` of a large Batch output file against a genai-prices loop, and its memory.

Usage: python benchmarks/bench_analyze.py [--lines N] [--quick] [--skip-peer]

Generates a Batch API output file of N lines (default 1,000,000; ``--quick``: 100,000) under
benchmarks/out/ (reused when present): gpt-4o-mini and gpt-4o chat completions with cached input
and reasoning-free output, one error line in 2,000. Then, in the same run:

* parsing alone: ``json.loads`` of every line (decoded as UTF-8 first, as all three do);
* openai-cost: ``summarize(iter_records(path))`` (what ``openai-cost analyze`` runs), and
  the ``openai-cost analyze --json`` command end to end;
* genai-prices, the two honest ways a user would run it, both at Batch rates
  (``price_context={"processing": "batch"}``): ``extract_usage(body) + calc_price()`` for
  every line (skipping error lines), the loop its README shows for pricing responses; and an
  orjson loop summing each (model, day)'s usage, then one ``calc_price`` per group.
* the limits: a bare orjson parse-and-sum loop, and a bare msgspec typed-decode-and-sum loop
  (decoding only the usage fields, no validation, no pricing).

Pricing alone is timed on the first 100,000 lines parsed beforehand (summarize over the parsed
records), next to the time it took to parse them. Peak memory (max RSS) of a fresh process
running ``summarize`` is measured on the file and on a file a tenth of its size: it must not
grow with the file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

_CHOICE = (
    '[{"index": 0, "message": {"role": "assistant", "content": "Thanks for reaching out! Your '
    'ticket has been routed to the billing team.", "refusal": null, "annotations": []}, '
    '"logprobs": null, "finish_reason": "stop"}]'
)


def generate(path: Path, lines: int) -> None:
    """Write a realistic Batch output file of ``lines`` lines (deterministic)."""
    rnd = random.Random(lines)
    t0 = 1758002400  # 2025-09-16 06:00 UTC
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(1, lines + 1):
            if i % 2000 == 0:
                f.write(
                    f'{{"id": "batch_req_{i:08d}", "custom_id": "request-{i}", "response": null,'
                    ' "error": {"code": "batch_expired", "message": "This request could not be '
                    'executed before the completion window expired."}}\n'
                )
                continue
            model = "gpt-4o-mini-2024-07-18" if rnd.random() < 0.8 else "gpt-4o-2024-08-06"
            p = rnd.randint(120, 6000)
            c = rnd.randint(5, 900)
            cached = (p // 128) * 128 - 256 if p > 1536 and rnd.random() < 0.5 else 0
            created = t0 + rnd.randrange(0, 20 * 3600)
            f.write(
                f'{{"id": "batch_req_{i:08d}", "custom_id": "request-{i}", "response": '
                f'{{"status_code": 200, "request_id": "req_{i:024x}", "body": '
                f'{{"id": "chatcmpl-{i:024x}", "object": "chat.completion", "created": {created},'
                f' "model": "{model}", "choices": {_CHOICE}, "usage": {{"prompt_tokens": {p},'
                f' "completion_tokens": {c}, "total_tokens": {p + c}, "prompt_tokens_details": '
                f'{{"cached_tokens": {cached}, "audio_tokens": 0}}, "completion_tokens_details": '
                '{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, '
                '"rejected_prediction_tokens": 0}}, "system_fingerprint": "fp_0aa8d3e20b"}}, '
                '"error": null}\n'
            )
    tmp.replace(path)


def dataset(lines: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"batch_output_{lines}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        generate(path, lines)
        print(
            f"  generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
    return path


def time_parse(path: Path) -> float:
    loads = json.loads
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            loads(line.decode("utf-8"))
    return time.perf_counter() - t


def time_orjson_loop(path: Path) -> float:
    """The practical limit: orjson.loads of every line and a dict walk summing its usage."""
    import orjson

    loads = orjson.loads
    tokens = 0
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            d = loads(line)
            resp = d.get("response")
            if d.get("error") is None and resp and resp.get("status_code") == 200:
                u = resp["body"]["usage"]
                tokens += u["prompt_tokens"] + u["completion_tokens"]
                tokens += u["prompt_tokens_details"]["cached_tokens"]
    return time.perf_counter() - t


def time_msgspec_loop(path: Path) -> float:
    """The typed limit: msgspec decoding only the usage fields, summing them (no checks)."""
    import msgspec

    # built with defstruct: class statements here would leave string annotations unresolved
    details = msgspec.defstruct("Details", [("cached_tokens", int, 0)])
    use = msgspec.defstruct(
        "Use",
        [("prompt_tokens", int), ("completion_tokens", int), ("prompt_tokens_details", details)],
    )
    body = msgspec.defstruct("Body", [("model", str), ("created", int), ("usage", use)])
    resp = msgspec.defstruct("Resp", [("status_code", int), ("body", body)])
    line_type = msgspec.defstruct(
        "Line", [("custom_id", str), ("response", resp | None, None), ("error", Any, None)]
    )
    decode = msgspec.json.Decoder(line_type).decode
    tokens = 0
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            d = decode(line)
            r = d.response
            if d.error is None and r is not None and r.status_code == 200:
                u = r.body.usage
                tokens += u.prompt_tokens + u.completion_tokens
                tokens += u.prompt_tokens_details.cached_tokens
    return time.perf_counter() - t


def time_ours(path: Path) -> tuple[float, Any]:
    from openai_cost import catalog
    from openai_cost.summary import iter_records, summarize

    catalog()  # loaded once, as a long-running process would have it
    t = time.perf_counter()
    s = summarize(iter_records(path))
    return time.perf_counter() - t, s


def time_pricing_alone(path: Path, n: int = 100_000) -> tuple[float, float, int]:
    """Parse the first ``n`` lines into memory (timed), then time summarize on them alone."""
    from openai_cost.summary import Record, summarize

    loads = json.loads
    with path.open("rb") as f:
        raw = [line for _, line in zip(range(n), f, strict=False)]
    gc.disable()  # the parsed objects are kept: do not time the collector walking them
    try:
        t = time.perf_counter()
        objs = [loads(line.decode("utf-8")) for line in raw]
        parse = time.perf_counter() - t
        recs = [Record(path.name, i, o) for i, o in enumerate(objs, 1)]
        t = time.perf_counter()
        summarize(recs)
        price = time.perf_counter() - t
    finally:
        gc.enable()
    return parse, price, len(raw)


def time_cli(path: Path) -> float:
    exe = Path(sys.executable).parent / "openai-cost"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "openai_cost"]
    t = time.perf_counter()
    subprocess.run([*cmd, "analyze", str(path), "--json"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


_BATCH = {"processing": "batch"}


def time_genai_prices(path: Path) -> tuple[float, Any, int]:
    """genai-prices per line, as its README prices a response (at Batch rates)."""
    from genai_prices import extract_usage

    loads = json.loads
    total = 0
    n = 0
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            d = loads(line.decode("utf-8"))
            resp = d.get("response")
            if d.get("error") is not None or not resp or resp.get("status_code") != 200:
                continue
            ex = extract_usage(resp["body"], provider_id="openai", api_flavor="chat")
            total += ex.calc_price(price_context=_BATCH).total_price
            n += 1
    return time.perf_counter() - t, total, n


def time_genai_prices_grouped(path: Path) -> tuple[float, Any, int]:
    """genai-prices the fastest honest way: orjson, sum each (model, day)'s usage, one
    calc_price per group (no per-line validation: whatever the dict holds is summed)."""
    import orjson
    from genai_prices import Usage, calc_price

    loads = orjson.loads
    groups: dict[tuple[str, int], list[int]] = {}
    n = 0
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            d = loads(line)
            resp = d.get("response")
            if d.get("error") is not None or not resp or resp.get("status_code") != 200:
                continue
            body = resp["body"]
            u = body["usage"]
            key = (body["model"], body["created"] // 86400)
            g = groups.get(key)
            if g is None:
                g = groups[key] = [0, 0, 0]
            g[0] += u["prompt_tokens"]
            g[1] += u["completion_tokens"]
            g[2] += (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
            n += 1
    total = 0
    for (model, _day), (inp, out, cached) in groups.items():
        # no genai_request_timestamp, as in its per-line loop: with one, calc_price leaves
        # the Batch variant out (genai-prices 0.2.3), and these dates have the same prices
        usage = Usage(input_tokens=inp, cache_read_tokens=cached, output_tokens=out)
        total += calc_price(usage, model, provider_id="openai", price_context=_BATCH).total_price
    return time.perf_counter() - t, total, n


_PEAK = """
import resource, sys
from openai_cost.summary import iter_records, summarize
s = summarize(iter_records(sys.argv[1]))
try:  # VmHWM: this process's own peak (ru_maxrss can carry the parent's over from fork)
    with open("/proc/self/status") as f:
        kb = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
except OSError:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kb = kb // 1024 if sys.platform == "darwin" else kb
print(kb, s.calls)
"""


def peak_rss_mb(path: Path) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 lines")
    ap.add_argument("--skip-peer", action="store_true", help="do not time genai-prices")
    args = ap.parse_args()
    lines = 100_000 if args.quick and args.lines == 1_000_000 else args.lines
    path = dataset(lines)
    size = path.stat().st_size
    print(f"file: {path.name}: {lines:,} lines, {size / 1e6:,.0f} MB")

    # best of two, alternating, so a busy machine does not favour one side
    parse = time_parse(path)
    limit = time_orjson_loop(path)
    typed = time_msgspec_loop(path)
    ours, s = time_ours(path)
    parse = min(parse, time_parse(path))
    limit = min(limit, time_orjson_loop(path))
    typed = min(typed, time_msgspec_loop(path))
    ours = min(ours, time_ours(path)[0])
    print(
        f"  orjson parse-and-sum loop (the limit) {limit:8.2f} s  "
        f"{limit / lines * 1e6:6.2f} us/line"
    )
    print(
        f"  msgspec typed-decode-and-sum loop     {typed:8.2f} s  "
        f"{typed / lines * 1e6:6.2f} us/line"
    )
    print(
        f"  parsing alone (json.loads per line)   {parse:8.2f} s  "
        f"{parse / lines * 1e6:6.2f} us/line"
    )
    print(
        f"  openai-cost summarize(iter_records)   {ours:8.2f} s  "
        f"{ours / lines * 1e6:6.2f} us/line  ({size / ours / 1e6:,.0f} MB/s)"
    )
    print(
        f"    = {ours / limit:.2f}x the orjson loop (target <= 1.3x), "
        f"{ours / typed:.2f}x the msgspec loop"
    )
    print(
        f"    priced {s.calls:,} calls, {s.failed:,} failed lines, total "
        f"${s.total_usd:,.2f} at Batch rates"
    )
    sample_parse, sample_price, n = time_pricing_alone(path)
    print(
        f"  on the first {n:,} lines, pre-parsed: parsing {sample_parse / n * 1e6:.2f} us/line, "
        f"pricing (summarize) {sample_price / n * 1e6:.2f} us/line "
        f"= {sample_price / sample_parse:.2f}x parsing (target < 1)"
    )
    cli = time_cli(path)
    print(f"  openai-cost analyze --json (process)  {cli:8.2f} s")

    try:
        import genai_prices  # noqa: F401
    except ImportError:
        print("  genai-prices not installed: peer not measured (make bench installs it)")
        args.skip_peer = True
    if not args.skip_peer:
        gp, gp_total, gp_n = time_genai_prices(path)
        gg, gg_total, gg_n = time_genai_prices_grouped(path)
        gp = min(gp, time_genai_prices(path)[0])  # best of two, as for openai-cost
        gg = min(gg, time_genai_prices_grouped(path)[0])
        print(
            f"  genai-prices extract_usage+calc_price {gp:8.2f} s  {gp / lines * 1e6:6.2f} us/line"
            f"  (${gp_total:,.2f} for {gp_n:,} calls at Batch rates)"
        )
        print(
            f"  genai-prices orjson group sums        {gg:8.2f} s  {gg / lines * 1e6:6.2f} us/line"
            f"  (${gg_total:,.2f} for {gg_n:,} calls)"
        )
        print(
            f"  => openai-cost is {gp / ours:,.1f}x faster than the genai-prices per-line loop "
            f"(target >= 10x) and {gg / ours:,.2f}x its grouped loop"
        )

    small_lines = max(1000, lines // 10)
    small = dataset(small_lines)
    rss_small, _ = peak_rss_mb(small)
    rss_big, _ = peak_rss_mb(path)
    print(
        f"  peak RSS of summarize: {rss_small:,.1f} MB on {small_lines:,} lines, "
        f"{rss_big:,.1f} MB on {lines:,} lines (x{lines // small_lines} the data: "
        f"{'flat' if rss_big < rss_small * 1.2 else 'GROWS'})"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    raise SystemExit(main())

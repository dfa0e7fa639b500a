"""Import time of openai_cost and per-call time of cost_of, against genai-prices, tokencost
and litellm.

Usage: python benchmarks/bench_core.py [--quick]

Both figures are measured in the same run for every library present and printed as ratios.
Import time is the median wall time of ``python -c "import X"`` minus a bare interpreter
(``python -c "pass"``), each in a fresh process. Per-call time prices the prompt-caching guide's
example usage (2006 prompt tokens, 1920 cached, 300 completion) on gpt-4o, starting from the
API's usage dict on every side, each peer called the fastest honest way its API allows:

* openai_cost: ``cost_of(usage_dict, model="gpt-4o")`` (reads and checks every field of the
  dict, resolves the model on today's date, returns a `Cost` with its lines); and the same from a
  ``Usage(...)`` built from the three counts, for the side that starts from counts;
* tokencost: ``calculate_cost_by_tokens`` three times (uncached input, cached input, output;
  the caller splits the cached tokens out of the prompt tokens), summed;
* genai-prices: ``calc_price(Usage(...), model_ref=, provider_id=)``;
* litellm: ``cost_per_token(model=, prompt_tokens=, completion_tokens=,
  cache_read_input_tokens=)``.

The sides run in turn, round after round (``ROUNDS``), each round timing a fixed number of
calls per side; the best round of each side is reported, so that a busy machine does not
favour the side that ran at a quiet moment.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network for the peer

QUICK = "--quick" in sys.argv

USAGE = {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920},
}


def import_time(module: str, runs: int) -> float:
    def once(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ)
        return time.perf_counter() - t

    bare = statistics.median(once("pass") for _ in range(runs))
    mod = statistics.median(once(f"import {module}") for _ in range(runs))
    return mod - bare


def calls_per_round(fn: Callable[[], object], seconds: float) -> int:
    fn()  # warm caches (price data load, model resolution)
    n = 1
    while timeit.timeit(fn, number=n) < seconds:
        n *= 2
    return n


def per_call(sides: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best time per call of each side, the sides interleaved round after round."""
    number = {name: calls_per_round(fn, 0.05 if QUICK else 0.1) for name, fn in sides.items()}
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(rounds):
        for name, fn in sides.items():
            t = timeit.timeit(fn, number=number[name]) / number[name]
            best[name] = min(best[name], t)
    return best


def have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    runs = 5 if QUICK else 15
    print("import time above a bare interpreter (median of", runs, "fresh processes)")
    imports = {"openai_cost": import_time("openai_cost", runs)}
    for peer in ("genai_prices", "tokencost", "litellm"):
        if have(peer):
            imports[peer] = import_time(peer, max(3, runs // 3) if peer == "litellm" else runs)
    ours = imports["openai_cost"]
    for name, t in imports.items():
        ratio = "" if name == "openai_cost" else f"  ({t / ours:,.0f}x openai_cost)"
        print(f"  {name:<14} {t * 1000:8.1f} ms{ratio}")

    import openai_cost

    rounds = 5 if QUICK else 15
    print(f"\ncost_of per call (gpt-4o, cached usage dict; best of {rounds} interleaved rounds)")
    u = USAGE
    details: dict[str, int] = u["prompt_tokens_details"]  # type: ignore[assignment]
    sides: dict[str, Callable[[], object]] = {
        "openai_cost": lambda: openai_cost.cost_of(USAGE, model="gpt-4o"),
        "openai_cost from counts": lambda: openai_cost.cost_of(
            openai_cost.Usage(
                input_tokens=u["prompt_tokens"],  # type: ignore[arg-type]
                cached_tokens=details["cached_tokens"],
                output_tokens=u["completion_tokens"],  # type: ignore[arg-type]
            ),
            model="gpt-4o",
        ),
    }
    totals = {"openai_cost": openai_cost.cost_of(USAGE, model="gpt-4o").total}
    if have("tokencost"):
        from tokencost import calculate_cost_by_tokens as by_tokens

        def tc() -> object:
            cached = details["cached_tokens"]
            return (
                by_tokens(u["prompt_tokens"] - cached, "gpt-4o", "input")  # type: ignore[operator]
                + by_tokens(cached, "gpt-4o", "cached")
                + by_tokens(u["completion_tokens"], "gpt-4o", "output")  # type: ignore[arg-type]
            )

        sides["tokencost (3 calls)"] = tc
        totals["tokencost"] = tc()  # type: ignore[assignment]
    if have("genai_prices"):
        from genai_prices import Usage, calc_price

        def gp() -> object:
            return calc_price(
                Usage(
                    input_tokens=u["prompt_tokens"],  # type: ignore[arg-type]
                    cache_read_tokens=details["cached_tokens"],
                    output_tokens=u["completion_tokens"],  # type: ignore[arg-type]
                ),
                model_ref="gpt-4o",
                provider_id="openai",
            )

        sides["genai_prices.calc_price"] = gp
        totals["genai_prices"] = gp().total_price  # type: ignore[attr-defined]
    if have("litellm"):
        import litellm

        def ll() -> object:
            return litellm.cost_per_token(
                model="gpt-4o",
                prompt_tokens=2006,
                completion_tokens=300,
                cache_read_input_tokens=1920,
            )

        sides["litellm.cost_per_token"] = ll
    print("  totals: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    results = per_call(sides, rounds)
    ours = results["openai_cost"]
    for name, t in results.items():
        ratio = "" if name == "openai_cost" else f"  ({t / ours:,.2f}x openai_cost's time)"
        print(f"  {name:<26} {t * 1e6:8.2f} µs{ratio}")


if __name__ == "__main__":
    main()

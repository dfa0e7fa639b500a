"""Import time of openai_cost and per-call time of cost_of, against genai-prices and litellm.

Usage: python benchmarks/bench_core.py [--quick]

Both figures are measured in the same run for every library present and printed as ratios.
Import time is the median wall time of ``python -c "import X"`` minus a bare interpreter
(``python -c "pass"``), each in a fresh process. Per-call time prices the prompt-caching guide's
example usage (2006 prompt tokens, 1920 cached, 300 completion) on gpt-4o.
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


def per_call(fn: Callable[[], object], seconds: float = 1.0) -> float:
    fn()  # warm caches (price data load, model resolution)
    n, total = 1, 0.0
    while True:
        total = timeit.timeit(fn, number=n)
        if total >= seconds / 5:
            break
        n *= 2
    best = min(timeit.repeat(fn, number=n, repeat=5)) / n
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

    print("\ncost_of per call (best of 5, gpt-4o, cached usage dict)")
    results = {
        "openai_cost": per_call(lambda: openai_cost.cost_of(USAGE, model="gpt-4o")),
    }
    expected = openai_cost.cost_of(USAGE, model="gpt-4o", at="2025-06-01").total
    if have("genai_prices"):
        from genai_prices import Usage, calc_price

        def gp() -> object:
            u = USAGE
            return calc_price(
                Usage(
                    input_tokens=u["prompt_tokens"],
                    cache_read_tokens=u["prompt_tokens_details"]["cached_tokens"],  # type: ignore[index]
                    output_tokens=u["completion_tokens"],
                ),
                model_ref="gpt-4o",
                provider_id="openai",
            )

        results["genai_prices.calc_price"] = per_call(gp)
        print(f"  (same total from genai-prices: {gp().total_price} vs ours {expected})")  # type: ignore[attr-defined]
    if have("litellm"):
        import litellm

        def ll() -> object:
            return litellm.cost_per_token(
                model="gpt-4o",
                prompt_tokens=2006,
                completion_tokens=300,
                cache_read_input_tokens=1920,
            )

        results["litellm.cost_per_token"] = per_call(ll)
    ours = results["openai_cost"]
    for name, t in results.items():
        ratio = "" if name == "openai_cost" else f"  ({t / ours:,.1f}x slower than openai_cost)"
        print(f"  {name:<24} {t * 1e6:8.2f} µs{ratio}")


if __name__ == "__main__":
    main()

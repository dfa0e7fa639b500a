"""Run every benchmarks/bench_*.py with this interpreter, one after the other.

Usage: python benchmarks/run_all.py [--quick]

``--quick`` is passed to each script (smaller inputs) when it accepts it. Run it with the
benchmark environment (``make bench``), where the peers genai-prices, litellm and tokencost are
installed; a script whose peer is missing says so and measures openai-cost alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    extra = sys.argv[1:]
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        rc = subprocess.call([sys.executable, str(script), *extra], env=env)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark in this folder, one subprocess each, and print their reports.

    make bench                      # all of them
    python benchmarks/run.py ingest # only those whose file name contains "ingest"

Each *_bench.py prints its own throughput and peak memory beside a baseline measured in the
same run; this runner only orders them and reports which ones failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    benches = sorted(p for p in HERE.glob("*_bench.py") if not wanted or any(w in p.name for w in wanted))
    failed = []
    for bench in benches:
        print(f"== {bench.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(bench)])
        print(f"   ({time.perf_counter() - started:.1f} s wall, exit {code})\n", flush=True)
        if code:
            failed.append(bench.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

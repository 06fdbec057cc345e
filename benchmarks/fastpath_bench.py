"""Fast-path rate: distinct texts per second (wall and CPU) of the builtin classifier in one
process, after loading it, in batches of 1,000.

    python benchmarks/fastpath_bench.py TEXTS.jsonl N     # one JSON string a line, first N
    ORIG=<folder holding an older pileon/> python benchmarks/fastpath_bench.py ...

With ORIG the older code (e.g. `git archive <commit> pileon | tar -x -C <folder>`) is measured
instead of this worktree's, for a before/after in one locked run.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any


def _import_classifier() -> Any:
    if os.environ.get("ORIG"):  # the older code first on the path, the editable install off
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
        sys.path.insert(0, os.environ["ORIG"])
    from pileon.analyze.classify import builtin_classifier

    return builtin_classifier()


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def main() -> None:
    started = time.perf_counter()
    classifier = _import_classifier()
    classifier.classify(["warm up"])
    load = time.perf_counter() - started
    with open(sys.argv[1], encoding="utf-8") as handle:
        texts = [json.loads(line) for line in handle][: int(sys.argv[2])]
    cpu, started = _cpu(), time.perf_counter()
    for i in range(0, len(texts), 1000):
        classifier._classify_distinct(texts[i:i + 1000])
    wall, cpu = time.perf_counter() - started, _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    which = "before" if os.environ.get("ORIG") else "after"
    print(f"{which}: load {load:.1f} s; {len(texts)} distinct texts in {wall:.1f} s wall ="
          f" {len(texts) / wall:,.0f}/s; {cpu:.1f} CPU-s = {len(texts) / cpu:,.0f} texts per"
          f" CPU-s; peak {peak:.0f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
